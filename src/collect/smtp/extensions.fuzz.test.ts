/**
 * Properties of the EHLO capability parser: whatever the reply (or whatever
 * bytes the reply parser made a reply of), it never throws, lists each
 * keyword once in ASCII upper case, keeps parameters as whitespace-free
 * tokens, reads SIZE only from digits, and finds every keyword it lists.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Extensions, Reply } from '../../model/observation.js';
import { fuzz } from '../../../test/fuzz/fuzz.js';
import { feedParser, splitAt } from '../../../test/fixtures/feed-parser.js';
import { hasExtension, parseExtensions } from './extensions.js';

/** ASCII white space, the only separator the parser splits on. */
const ASCII_SPACE = /[\t\n\v\f\r ]/;

/** Words a server may put on an EHLO line: real keywords, odd casing, AUTH= forms, numbers, anything. */
const word = fc.oneof(
  fc.constantFrom(
    'PIPELINING',
    'starttls',
    'Size',
    'AUTH',
    'AUTH=',
    'AUTH=LOGIN',
    'auth=plain',
    '8BITMIME',
    'SIZE',
    '__proto__',
    'constructor',
    'ß',
    'X-ÉTÉ',
  ),
  fc.stringMatching(/^[0-9]{1,25}$/),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
);
const separator = fc.constantFrom(' ', '  ', '\t', ' \t ', '\u00a0');
const ehloLine = fc
  .tuple(fc.array(fc.tuple(word, separator), { maxLength: 5 }), fc.constantFrom('', ' ', '\t'))
  .map(([words, trail]) => words.map(([w, s]) => w + s).join('') + trail)
  .map((text) => text.replace(/[\r\n]/g, ''));

const reply: fc.Arbitrary<Reply> = fc
  .tuple(fc.constantFrom(250, 250, 250, 220, 421, 502, 550), fc.array(ehloLine, { maxLength: 8 }))
  .map(([code, texts]) => {
    const all = ['mx.example.test', ...texts];
    return { code, enhanced: null, lines: all.map((text, i) => `${code}${i < all.length - 1 ? '-' : ' '}${text}`) };
  });

/** What every Extensions value must satisfy, whatever reply it came from. */
function assertWellFormed(ext: Extensions, from: Reply): void {
  assert.equal(new Set(ext.keywords).size, ext.keywords.length, 'each keyword once');
  for (const keyword of ext.keywords) {
    assert.ok(keyword.length > 0 && !ASCII_SPACE.test(keyword), JSON.stringify(keyword));
    assert.ok(!/[a-z]/.test(keyword), `ASCII upper case: ${JSON.stringify(keyword)}`);
    // Case folding is ASCII-only ("É" stays as sent), so look up an ASCII-lower-cased spelling.
    assert.ok(
      hasExtension(ext, keyword) &&
        hasExtension(
          ext,
          keyword.replace(/[A-Z]/g, (c) => c.toLowerCase()),
        ),
    );
    assert.ok(Object.hasOwn(ext.params, keyword), 'params are own data, even for "__PROTO__"');
    for (const param of ext.params[keyword]!)
      assert.ok(param.length > 0 && !ASCII_SPACE.test(param), JSON.stringify(param));
    const seen = from.lines.slice(1).some((line) =>
      line
        .slice(4)
        .toUpperCase()
        .includes(keyword === 'AUTH' ? 'AUTH' : keyword.toUpperCase()),
    );
    assert.ok(seen, `${keyword} came from the reply`);
  }
  assert.equal(new Set(ext.auth).size, ext.auth.length);
  for (const mechanism of ext.auth) assert.ok(!/[a-z]/.test(mechanism) && !ASCII_SPACE.test(mechanism));
  if (ext.size !== null) {
    assert.ok(Number.isSafeInteger(ext.size) && ext.size >= 0);
    assert.equal(String(ext.size), ext.params['SIZE']![0]!.replace(/^0+(?=\d)/, ''));
  }
  if (from.code < 200 || from.code >= 300) assert.deepEqual(ext.keywords, [], 'a refused EHLO advertises nothing');
}

describe('parseExtensions() properties', () => {
  it('never throws and always gives well-formed extensions', (t) => {
    fuzz(
      t,
      500,
      fc.property(reply, (r) => assertWellFormed(parseExtensions(r), r)),
    );
  });

  it('lists the keywords of a plain reply in order, once, upper-cased', (t) => {
    const keyword = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,15}$/).filter((k) => !/^AUTH=/i.test(k));
    fuzz(
      t,
      300,
      fc.property(
        fc.array(fc.tuple(keyword, fc.array(fc.stringMatching(/^[!-~]{1,8}$/), { maxLength: 3 })), { maxLength: 10 }),
        (entries) => {
          const lines = ['mx.example.test', ...entries.map(([k, params]) => [k, ...params].join(' '))];
          const ext = parseExtensions({
            code: 250,
            enhanced: null,
            lines: lines.map((text, i) => `250${i < lines.length - 1 ? '-' : ' '}${text}`),
          });
          assert.deepEqual(ext.keywords, [...new Set(entries.map(([k]) => k.toUpperCase()))]);
        },
      ),
    );
  });

  it('takes whatever the reply parser makes of arbitrary bytes', (t) => {
    const lines = fc.array(
      fc.tuple(fc.constantFrom('250-', '250 ', '550 ', '25', ''), fc.uint8Array({ maxLength: 40 })),
      { maxLength: 10 },
    );
    fuzz(
      t,
      300,
      fc.property(lines, fc.array(fc.nat(), { maxLength: 4 }), (parts, cuts) => {
        const data = Buffer.concat(
          parts.flatMap(([head, body]) => [Buffer.from(head), Buffer.from(body), Buffer.from('\r\n')]),
        );
        for (const r of feedParser(splitAt(data, cuts)).replies) assertWellFormed(parseExtensions(r), r);
      }),
    );
  });
});
