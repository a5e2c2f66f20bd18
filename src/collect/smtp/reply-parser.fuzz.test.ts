/**
 * Properties of the reply parser over arbitrary bytes cut at arbitrary
 * points: it never throws, never holds or yields more than the limits allow,
 * gives the same result however the stream is split, joins every
 * well-formed multi-line reply, and never reads past a reply it was told to
 * stop after (the STARTTLS guarantee).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_REPLY_LINE_BYTES, MAX_REPLY_LINES } from '../../model/limits.js';
import { feedParser, splitAt } from '../../../test/fixtures/feed-parser.js';
import { fuzz } from '../../../test/fuzz/fuzz.js';
import { ReplyParser } from './reply-parser.js';

/**
 * Most bytes a parser may hold between pushes: one partial line (with the CR
 * of a CRLF still to come) and the lines of the reply being assembled.
 */
const MAX_HELD_BYTES = MAX_REPLY_LINE_BYTES + 1 + MAX_REPLY_LINES * (MAX_REPLY_LINE_BYTES + 2);

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

// Bytes biased towards line structure so that replies, faults and splits all happen.
const byte = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }) },
  { weight: 2, arbitrary: fc.constantFrom(0x0a, 0x0d, 0x20, 0x2d) },
  { weight: 4, arbitrary: fc.integer({ min: 0x30, max: 0x39 }) },
);

/** Text of one reply line: anything but CR and LF, any Unicode, NUL and 8-bit included. */
const lineText = fc
  .array(
    fc.oneof(
      fc.constantFrom('\u0000', '\u00ff', '\t', ' ', '-'),
      fc.string({ unit: 'binary', maxLength: 3 }),
      fc.string({ unit: 'grapheme', maxLength: 3 }),
    ),
    {
      maxLength: 12,
    },
  )
  .map((parts) => parts.join('').replace(/[\r\n]/g, ''));

/** A well-formed reply: one code, continuation lines, a last line; CRLF or bare LF endings. */
const wellFormedReply = fc
  .tuple(
    fc.integer({ min: 200, max: 559 }).filter((c) => c % 100 < 60),
    fc.array(lineText, { minLength: 1, maxLength: 6 }),
    fc.constantFrom('\r\n', '\n'),
  )
  .map(([code, texts, eol]) => ({
    code,
    lines: texts.map((text, i) => `${code}${i < texts.length - 1 ? '-' : ' '}${text}`),
    eol,
  }));

const stream = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.array(byte, { maxLength: 300 }).map((a) => Uint8Array.from(a)),
  fc
    .array(wellFormedReply, { maxLength: 8 })
    .map((rs) => bytes(rs.map((r) => r.lines.map((l) => l + r.eol).join('')).join(''))),
);
const cuts = fc.array(fc.nat(), { maxLength: 8 });

describe('ReplyParser properties', () => {
  it('push() never throws, holds and yields no more than the limits, and is split-invariant', (t) => {
    fuzz(
      t,
      300,
      fc.property(stream, cuts, (raw, rawCuts) => {
        const data = Buffer.from(raw);
        const whole = feedParser([data]);
        const split = feedParser(splitAt(data, rawCuts));
        assert.deepEqual({ ...split, maxBuffered: 0 }, { ...whole, maxBuffered: 0 });
        assert.ok(split.maxBuffered <= MAX_HELD_BYTES);
        // Decoding never lengthens a line: each byte gives at most one UTF-16 unit.
        for (const line of whole.lines) assert.ok(line.length <= MAX_REPLY_LINE_BYTES);
        for (const reply of whole.replies) {
          assert.ok(reply.lines.length >= 1 && reply.lines.length <= MAX_REPLY_LINES);
          assert.ok(reply.code >= 200 && reply.code <= 559);
        }
      }),
    );
  });

  it('push() joins every well-formed multi-line reply, however it is split', (t) => {
    fuzz(
      t,
      300,
      fc.property(fc.array(wellFormedReply, { minLength: 1, maxLength: 6 }), cuts, (replies, rawCuts) => {
        const data = bytes(replies.map((r) => r.lines.map((l) => l + r.eol).join('')).join(''));
        const out = feedParser(splitAt(data, rawCuts));
        assert.equal(out.fault, null);
        assert.deepEqual(
          out.replies.map((r) => [r.code, r.lines]),
          // Bytes that are not UTF-8 come back as U+FFFD: compare with the decoded text.
          replies.map((r) => [r.code, r.lines.map((l) => bytes(l).toString('utf8'))]),
        );
      }),
    );
  });

  it('push() never yields a line over the limit from long random lines', (t) => {
    const longLine = fc
      .tuple(
        fc.integer({ min: MAX_REPLY_LINE_BYTES - 8, max: MAX_REPLY_LINE_BYTES + 8 }),
        fc.constantFrom('\r\n', '\n', '\r\r\n', ''),
      )
      .map(([n, end]) => bytes(`250 ${'a'.repeat(n - 4)}${end}`));
    fuzz(
      t,
      100,
      fc.property(longLine, fc.nat(), (data, cut) => {
        const at = cut % (data.length + 1);
        const whole = feedParser([data]);
        assert.deepEqual(feedParser([data.subarray(0, at), data.subarray(at)]).lines, whole.lines);
        assert.deepEqual(feedParser([data.subarray(0, at), data.subarray(at)]).fault, whole.fault);
        for (const line of whole.lines) assert.ok(Buffer.byteLength(line) <= MAX_REPLY_LINE_BYTES);
      }),
    );
  });

  it('push() with stopAfterReply reads nothing past the first reply, and discard() counts every byte behind it', (t) => {
    const behind = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      wellFormedReply.map((r) => bytes(r.lines.map((l) => l + r.eol).join(''))),
    );
    fuzz(
      t,
      300,
      fc.property(wellFormedReply, behind, cuts, (reply, after, rawCuts) => {
        const first = bytes(reply.lines.map((l) => l + reply.eol).join(''));
        const data = Buffer.concat([first, after]);
        const parser = new ReplyParser();
        // As the connection does: push until the reply is in, then stop feeding (the socket is paused).
        let pushed = 0;
        const lines: string[] = [];
        for (const piece of splitAt(data, rawCuts)) {
          const result = parser.push(piece, { stopAfterReply: true });
          pushed += piece.length;
          lines.push(...result.lines);
          assert.equal(result.fault, null);
          if (result.replies.length > 0) {
            assert.equal(result.replies.length, 1);
            break;
          }
        }
        assert.equal(lines.length, reply.lines.length, "only the reply's own lines were read");
        assert.equal(parser.discard(), pushed - first.length);
        assert.equal(parser.buffered, 0);
      }),
    );
  });
});
