/**
 * Properties of the option validators fed arbitrary values: whatever is
 * accepted carries nothing that could end, split or smuggle an SMTP command
 * (and the command builders take it), and whatever is refused is refused
 * with an OptionError naming the option and quoting the value, in a message
 * without raw control characters.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OptionError } from '../model/errors.js';
import { parseOptions, type CheckOptions } from './options.js';
import { ehlo, mailFrom, rcptTo, toWire } from '../collect/smtp/commands.js';
import { fuzz } from '../../test/fuzz/fuzz.js';
import { typedValue } from '../../test/fuzz/arbitraries.js';

/** Never in an accepted name or address: CR, LF, NUL, angle brackets, any white space or control. */
const FORBIDDEN_ACCEPTED = /[\r\n\u0000<>\s\u0001-\u001f\u007f-\u009f]/;
/** A message for people carries no raw control character (nor U+2028/9, which split log lines). */
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const VALID = { domain: 'example.org', helo_name: 'mx-checker.example.net', test_probe_address: 'probe@example.com' };

/**
 * The message quotes the value: a double quote, then the value (trimmed of
 * the spaces the parser forgives) as far as it is plain printable ASCII.
 */
function quotesValue(message: string, value: string): boolean {
  const trimmed = value.replace(/^ +| +$/g, '');
  const plain = /^[\x20\x21\x23-\x5b\x5d-\x7e]*/.exec(trimmed)![0].slice(0, 10);
  return message.includes(`"${plain}`);
}

function assertAccepted(options: CheckOptions): void {
  for (const value of [options.domain, options.helo_name, options.test_probe_address]) {
    assert.doesNotMatch(value, FORBIDDEN_ACCEPTED, JSON.stringify(value));
  }
  assert.match(options.domain, /^[a-z0-9.-]+$/);
  assert.match(options.helo_name, /^[a-z0-9.-]+$/);
  // What the validators let through, the command builders send: one line each.
  for (const command of [
    ehlo(options.helo_name),
    mailFrom(`postmaster@${options.helo_name}`),
    rcptTo(`postmaster@${options.domain}`),
    rcptTo(options.test_probe_address),
  ]) {
    const wire = toWire(command);
    assert.equal(wire.indexOf('\r\n'), wire.length - 2);
  }
}

function assertRefusedClearly(error: unknown, option: string): asserts error is OptionError {
  assert.ok(error instanceof OptionError, `not an OptionError: ${String(error)}`);
  assert.equal(error.option, option);
  assert.equal(error.code, 'option.invalid');
  assert.ok(error.message.length > 0);
  assert.doesNotMatch(error.message, RAW_CONTROL, `raw control character in ${JSON.stringify(error.message)}`);
}

describe('parseOptions() properties', () => {
  for (const option of ['domain', 'helo_name', 'test_probe_address'] as const) {
    it(`${option}: accepted values are safe on the wire, refused ones are named and quoted`, (t) => {
      fuzz(
        t,
        400,
        fc.property(typedValue, (value) => {
          let options: CheckOptions;
          try {
            options = parseOptions({ ...VALID, [option]: value });
          } catch (error) {
            assertRefusedClearly(error, option);
            // A blank domain is "required", with nothing to quote.
            if (value.trim() !== '')
              assert.ok(
                quotesValue(error.message, value),
                `${JSON.stringify(value)} not quoted in ${JSON.stringify(error.message)}`,
              );
            return;
          }
          assertAccepted(options);
        }),
      );
    });
  }

  it('timeout and the probe switches take numbers and words, and refuse the rest by name', (t) => {
    const option = fc.constantFrom('timeout', 'test_null_sender', 'test_postmaster', 'test_open_relay');
    const value = fc.oneof(
      fc.jsonValue(),
      typedValue,
      fc.constantFrom('12', ' 3 ', '0', '1', 'yes', 'off', 'TRUE', '1e3', '-1', 'NaN', 'Infinity', '0x10'),
    );
    fuzz(
      t,
      400,
      fc.property(option, value, (id, v) => {
        try {
          const options = parseOptions({ ...VALID, [id]: v });
          if (id === 'timeout') assert.ok(options.timeout >= 1 && options.timeout <= 300);
          else assert.equal(typeof options[id], 'boolean');
        } catch (error) {
          assertRefusedClearly(error, id);
          assert.ok(error.message.includes(id), error.message);
        }
      }),
    );
  });
});
