/**
 * Properties of the command builder, the only way a command reaches the
 * wire: no argument can add a second command. Every builder either refuses
 * with `command.unsafe` or makes exactly the one command asked for, and the
 * wire form of any string is one printable line ending in its only CRLF, or
 * a refusal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CheckerError } from '../../model/errors.js';
import { fuzz } from '../../../test/fuzz/fuzz.js';
import { typedValue } from '../../../test/fuzz/arbitraries.js';
import { CRLF, ehlo, helo, mailFrom, rcptTo, toWire } from './commands.js';

/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
const MAX_COMMAND_LINE_BYTES = 512;

/** Exactly one line on the wire: printable ASCII, the limit, one CRLF at the very end. */
function assertOneLine(wire: string): void {
  assert.equal(wire.indexOf(CRLF), wire.length - 2, JSON.stringify(wire));
  assert.match(wire.slice(0, -2), /^[\x20-\x7e]+$/);
  assert.ok(Buffer.byteLength(wire) <= MAX_COMMAND_LINE_BYTES);
}

/** What `make()` returns, or null when it refused, as it must: command.unsafe, in a message safe to log. */
function madeOrRefused(make: () => string): string | null {
  try {
    return make();
  } catch (error) {
    assert.ok(error instanceof CheckerError && error.code === 'command.unsafe', String(error));
    assert.doesNotMatch(error.message, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/, 'the refusal is safe to log');
    return null;
  }
}

const builders: [string, (arg: string) => string, (arg: string) => string][] = [
  ['ehlo', ehlo, (a) => `EHLO ${a}`],
  ['helo', helo, (a) => `HELO ${a}`],
  ['mailFrom', mailFrom, (a) => (a === '' ? 'MAIL FROM:<>' : `MAIL FROM:<${a}>`)],
  ['rcptTo', rcptTo, (a) => `RCPT TO:<${a}>`],
];

describe('command builder properties', () => {
  it('builders accept every well-formed hostname, address and address literal', (t) => {
    fuzz(
      t,
      300,
      fc.property(fc.domain(), fc.emailAddress(), fc.ipV4(), fc.ipV6(), (domain, address, v4, v6) => {
        assert.equal(ehlo(domain), `EHLO ${domain}`);
        assert.equal(ehlo(`[${v4}]`), `EHLO [${v4}]`);
        assert.equal(helo(`[IPv6:${v6}]`), `HELO [IPv6:${v6}]`);
        assert.equal(rcptTo(address), `RCPT TO:<${address}>`);
      }),
    );
  });

  for (const [name, build, expected] of builders) {
    it(`${name}() either refuses with command.unsafe or makes exactly one safe command`, (t) => {
      fuzz(
        t,
        300,
        fc.property(typedValue, (arg) => {
          const command = madeOrRefused(() => build(arg));
          if (command === null) return;
          assert.equal(command, expected(arg));
          assertOneLine(toWire(command));
        }),
      );
    });
  }

  it('toWire() of any string is one line with its only CRLF at the end, or a refusal', (t) => {
    const line = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 600 }),
      fc.stringMatching(/^[\x20-\x7e]{1,520}$/),
      fc
        .tuple(
          fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
          fc.constantFrom('\r\n', '\r', '\n', '\u0000', '\u2028', '\u0085'),
          fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
        )
        .map((parts) => parts.join('')),
    );
    fuzz(
      t,
      500,
      fc.property(line, (command) => {
        const wire = madeOrRefused(() => toWire(command));
        if (wire === null) return;
        assert.equal(wire, command + CRLF);
        assertOneLine(wire);
      }),
    );
  });
});
