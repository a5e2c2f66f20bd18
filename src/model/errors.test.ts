/** The one error base: a closed code, the cause, and the SMTP phase and reply where they apply. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckerError, OptionError } from './errors.js';

test('CheckerError carries its code, message, cause, phase and reply, and is named after its class', () => {
  const cause = new Error('EACCES');
  const reply = { code: 554, enhanced: '5.7.1', lines: ['554 5.7.1 No'] };
  const err = new CheckerError('command.unsafe', 'Recipient "a\\r\\nb" contains a line feed.', {
    cause,
    phase: 'open_relay',
    reply,
  });
  assert.equal(err.code, 'command.unsafe');
  assert.equal(err.name, 'CheckerError');
  assert.equal(err.cause, cause);
  assert.equal(err.phase, 'open_relay');
  assert.deepEqual(err.reply, reply);
  assert.ok(err instanceof Error);
});

test('CheckerError leaves out what does not apply', () => {
  const err = new CheckerError('setting.invalid', 'Port must be a number between 1 and 65535, got "x".');
  assert.equal('cause' in err, false);
  assert.equal('phase' in err, false);
  assert.equal('reply' in err, false);
});

test('OptionError is a CheckerError with code option.invalid that names the option', () => {
  const err = new OptionError('timeout', 'Option timeout must be a number, got "soon".');
  assert.ok(err instanceof CheckerError);
  assert.equal(err.code, 'option.invalid');
  assert.equal(err.option, 'timeout');
  assert.equal(err.name, 'OptionError');
});

test('codes are a closed set: the compiler refuses one that is not declared', () => {
  // @ts-expect-error "option.wrong" is not an ErrorCode
  const err = new CheckerError('option.wrong', 'x');
  assert.equal(err.code, 'option.wrong');
});
