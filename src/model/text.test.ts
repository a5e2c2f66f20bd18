import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cut, foldUnsafe, plural, quote, quoteAtMost, sanitize } from './text.js';

/** Every character the module calls unsafe, one of each kind. */
const UNSAFE = '\u0000\u0007\r\n\u001b\u007f\u0085\u009b\u061c\u200e\u200f\u202a\u202e\u2066\u2069\u2028\u2029';

describe('text', () => {
  it('sanitize() is idempotent and leaves printable text alone', () => {
    const once = sanitize('a\x1bb\r\n\u2028é—ü');
    assert.equal(once, 'a\\x1bb\\x0d\\x0a\\u2028é—ü');
    assert.equal(sanitize(once), once);
    assert.equal(sanitize('plain <b>text</b> \\ "quoted"'), 'plain <b>text</b> \\ "quoted"');
  });

  it('sanitize() writes controls as \\xNN and bidi and separator characters as \\uNNNN', () => {
    assert.equal(
      sanitize(UNSAFE),
      '\\x00\\x07\\x0d\\x0a\\x1b\\x7f\\x85\\x9b\\u061c\\u200e\\u200f\\u202a\\u202e\\u2066\\u2069\\u2028\\u2029',
    );
  });

  it('quote() quotes as a JSON string, escaping every unsafe character JSON leaves raw', () => {
    assert.equal(quote('a\r\nb'), '"a\\r\\nb"');
    assert.equal(quote('say "hi" \\ there'), '"say \\"hi\\" \\\\ there"');
    const quoted = quote(UNSAFE);
    assert.doesNotMatch(quoted, /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/);
    assert.equal(JSON.parse(quoted), UNSAFE, 'still a JSON string of the value');
  });

  it('quote() cuts a long value to 80 characters by default, or to the limit given', () => {
    assert.equal(quote('x'.repeat(100)), `"${'x'.repeat(79)}…"`);
    assert.equal(quote('x'.repeat(80)), `"${'x'.repeat(80)}"`);
    assert.equal(quoteAtMost('abcdef', 4), '"abc…"');
  });

  it('quote() takes one value, so a list maps through it whole', () => {
    assert.deepEqual(['alpha', 'beta'].map(quote), ['"alpha"', '"beta"']);
  });

  it('cut() counts characters, never splitting a surrogate pair', () => {
    assert.equal(cut('😀😀😀', 2), '😀…');
    assert.equal(cut('😀😀', 2), '😀😀');
  });

  it('foldUnsafe() turns each run of unsafe characters into one space', () => {
    assert.equal(foldUnsafe('a\x1b[2J\r\nb\u202ec'), 'a [2J b c');
  });

  it('plural() says one or many', () => {
    assert.equal(plural(1, 'endpoint'), '1 endpoint');
    assert.equal(plural(0, 'endpoint'), '0 endpoints');
    assert.equal(plural(2, 'checker error', 'checker errors'), '2 checker errors');
  });
});
