import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REPLY_LINE_BYTES, MAX_REPLY_LINES } from '../../model/limits.js';
import { feedParser, type Fed } from '../../../test/fixtures/feed-parser.js';
import { ReplyParser } from './reply-parser.js';

/** Feed the pieces in order and gather what came out (how much was held aside). */
function feed(pieces: Buffer[]): Omit<Fed, 'maxBuffered'> {
  const { maxBuffered: _held, ...out } = feedParser(pieces);
  return out;
}

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

const SAMPLES: Record<string, Buffer> = {
  'single line': bytes('220 mx.example.com ESMTP Postfix\r\n'),
  'multi-line greeting': bytes('220-mx.example.com ESMTP\r\n220-No UCE\r\n220 Go ahead\r\n'),
  'EHLO reply': bytes(
    '250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n' +
      '250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n',
  ),
  'two replies back to back': bytes('250 2.1.0 Ok\r\n550-5.1.1 No such user\r\n550 5.1.1 here\r\n'),
  'bare LF': bytes('220-first\n220 second\n250 ok\r\n'),
  'UTF-8 multi-byte text': bytes('220 mx.例え.jp ESMTP 🚀 ready\r\n250-größe\r\n250 €\r\n'),
  '8-bit and NUL bytes': Buffer.concat([
    bytes('220 hi'),
    Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x07, 0x0d, 0x41]),
    bytes(' there\r\n250 ok\r\n'),
  ]),
};

describe('ReplyParser', () => {
  it('push() parses a single-line reply', () => {
    const out = feed([SAMPLES['single line']!]);
    assert.deepEqual(out, {
      lines: ['220 mx.example.com ESMTP Postfix'],
      replies: [{ code: 220, enhanced: null, lines: ['220 mx.example.com ESMTP Postfix'] }],
      fault: null,
    });
  });

  it('push() joins continuation lines into one reply', () => {
    const out = feed([SAMPLES['multi-line greeting']!]);
    assert.equal(out.replies.length, 1);
    assert.deepEqual(out.replies[0], {
      code: 220,
      enhanced: null,
      lines: ['220-mx.example.com ESMTP', '220-No UCE', '220 Go ahead'],
    });
  });

  it('push() reports lines as they arrive, before the reply is complete', () => {
    const parser = new ReplyParser();
    const first = parser.push(bytes('250-mx.example.com\r\n250-PIPE'));
    assert.deepEqual(first, { lines: ['250-mx.example.com'], replies: [], fault: null });
    const second = parser.push(bytes('LINING\r\n250 8BITMIME\r\n'));
    assert.deepEqual(second.lines, ['250-PIPELINING', '250 8BITMIME']);
    assert.equal(second.replies.length, 1);
    assert.equal(second.replies[0]!.lines.length, 3);
  });

  it('push() completes two replies from one chunk', () => {
    const out = feed([SAMPLES['two replies back to back']!]);
    assert.deepEqual(
      out.replies.map((r) => [r.code, r.enhanced, r.lines.length]),
      [
        [250, '2.1.0', 1],
        [550, '5.1.1', 2],
      ],
    );
  });

  it('push() accepts a bare LF and strips one trailing CR', () => {
    const out = feed([bytes('250-a\n250-b\r\r\n250 c\r\n')]);
    assert.deepEqual(out.lines, ['250-a', '250-b\r', '250 c']);
  });

  it('push() keeps NUL, control and invalid bytes verbatim or as U+FFFD', () => {
    const out = feed([SAMPLES['8-bit and NUL bytes']!]);
    assert.equal(out.lines[0], '220 hi\u0000\ufffd\ufffd\ufffd\u0007\rA there');
    assert.equal(out.replies.length, 2);
  });

  it('push() decodes a multi-byte character split across chunks', () => {
    const whole = bytes('250 €\r\n');
    const out = feed([whole.subarray(0, 5), whole.subarray(5)]); // inside the 3-byte €
    assert.deepEqual(out.lines, ['250 €']);
  });

  it('push() accepts a code alone and an empty continuation', () => {
    const out = feed([bytes('250-\r\n250\r\n')]);
    assert.deepEqual(out.replies, [{ code: 250, enhanced: null, lines: ['250-', '250'] }]);
  });

  it('push() keeps the first code when a continuation line has another', () => {
    const out = feed([bytes('250-mx.example.com\r\n251-odd\r\n252 end\r\n')]);
    assert.equal(out.fault, null);
    assert.equal(out.replies[0]!.code, 250);
    assert.equal(out.replies[0]!.lines.length, 3);
  });

  describe('enhanced status codes', () => {
    const cases: [string, string | null][] = [
      ['250 2.1.0 Ok', '2.1.0'],
      ['550 5.7.1 Relaying denied', '5.7.1'],
      ['451 4.7.1 Greylisted', '4.7.1'],
      ['250 2.0.0', '2.0.0'],
      ['250 2.123.456 x', '2.123.456'],
      ['550 2.1.0 class mismatch', null],
      ['354 3.0.0 no class 3', null],
      ['250 2.1.0Ok', null],
      ['250 2.1 short', null],
      ['250 2.1.1000 too long', null],
      ['250 Ok 2.1.0', null],
    ];
    for (const [line, expected] of cases) {
      it(`push() reads enhanced ${String(expected)} from ${JSON.stringify(line)}`, () => {
        assert.equal(feed([bytes(`${line}\r\n`)]).replies[0]!.enhanced, expected);
      });
    }

    it('push() takes the enhanced code from the first line only', () => {
      const out = feed([bytes('550-No such user\r\n550 5.1.1 here\r\n')]);
      assert.equal(out.replies[0]!.enhanced, null);
    });
  });

  describe('split invariance', () => {
    for (const [name, stream] of Object.entries(SAMPLES)) {
      it(`push() gives the same result for "${name}" split at any one or two offsets`, () => {
        const expected = feed([stream]);
        assert.equal(expected.fault, null);
        for (let i = 0; i <= stream.length; i++) {
          assert.deepEqual(feed([stream.subarray(0, i), stream.subarray(i)]), expected, `split at ${i}`);
          for (let j = i; j <= stream.length; j++) {
            const pieces = [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)];
            assert.deepEqual(feed(pieces), expected, `split at ${i} and ${j}`);
          }
        }
      });
    }

    it('push() gives the same result fed one byte at a time', () => {
      for (const stream of Object.values(SAMPLES)) {
        const single = Array.from(stream, (b) => Buffer.from([b]));
        assert.deepEqual(feed(single), feed([stream]));
      }
    });
  });

  describe('malformed lines', () => {
    const bad = [
      '', // empty line
      '25', // too short
      '2', // too short
      '099 low', // first digit out of range
      '199 provisional', // 1yz is not used by SMTP
      '600 high',
      '260 second digit',
      '2x0 letter',
      'abc text',
      '250x no separator',
      '250\tTab separator',
      ' 250 leading space',
      '２５０ full-width digits',
      'HTTP/1.1 400 Bad Request',
    ];
    for (const line of bad) {
      it(`push() faults reply.malformed on ${JSON.stringify(line)}`, () => {
        const out = feed([bytes(`${line}\r\n`)]);
        assert.equal(out.fault?.code, 'reply.malformed');
        assert.ok(out.fault.message.includes(JSON.stringify(line)), out.fault.message);
        assert.deepEqual(out.replies, []);
      });
    }

    it('push() faults on a malformed continuation line', () => {
      const out = feed([bytes('250-mx.example.com\r\n25O-typo\r\n250 end\r\n')]);
      assert.equal(out.fault?.code, 'reply.malformed');
      assert.deepEqual(out.lines, ['250-mx.example.com', '25O-typo']);
      assert.deepEqual(out.replies, []);
    });

    it('push() keeps replies completed before the fault in the same chunk', () => {
      const out = feed([bytes('220 hello\r\nGET / HTTP/1.0\r\n')]);
      assert.equal(out.replies.length, 1);
      assert.equal(out.fault?.code, 'reply.malformed');
    });

    it('push() quotes control characters visibly and truncates long lines', () => {
      const out = feed([bytes(`\u0000\u001b[31m${'x'.repeat(500)}\r\n`)]);
      assert.equal(out.fault?.code, 'reply.malformed');
      assert.ok(out.fault.message.includes('"\\u0000\\u001b[31mxxx'), out.fault.message);
      assert.ok(out.fault.message.length < 250, out.fault.message);
      assert.ok(!/[\u0000-\u001f]/.test(out.fault.message));
    });

    it('push() escapes DEL, C1 controls and line separators that JSON leaves raw', () => {
      const out = feed([bytes('\u007f\u009b2J\u2028x\r\n')]);
      assert.ok(out.fault?.message.includes('"\\u007f\\u009b2J\\u2028x"'), out.fault?.message);
    });
  });

  describe('limits', () => {
    it('push() accepts a line of exactly the limit', () => {
      const line = `250 ${'a'.repeat(MAX_REPLY_LINE_BYTES - 4)}`;
      const stream = bytes(`${line}\r\n`);
      assert.deepEqual(feed([stream]).lines, [line]);
      // Also when the CR arrives alone, filling the buffer, before its LF.
      const cut = stream.length - 1;
      assert.deepEqual(feed([stream.subarray(0, cut), stream.subarray(cut)]).lines, [line]);
    });

    it('push() faults reply.line_too_long one byte over the limit', () => {
      const stream = bytes(`250 ${'a'.repeat(MAX_REPLY_LINE_BYTES - 3)}\r\n`);
      assert.equal(feed([stream]).fault?.code, 'reply.line_too_long');
      const single = Array.from(stream, (b) => Buffer.from([b]));
      assert.equal(feed(single).fault?.code, 'reply.line_too_long');
    });

    it('push() faults on a CR that is not the end of a line at the limit', () => {
      const stream = bytes(`250 ${'a'.repeat(MAX_REPLY_LINE_BYTES - 4)}\rb\r\n`);
      assert.equal(feed([stream]).fault?.code, 'reply.line_too_long');
      const twoCrs = bytes(`250 ${'a'.repeat(MAX_REPLY_LINE_BYTES - 4)}\r\r\n`);
      assert.equal(feed([twoCrs]).fault?.code, 'reply.line_too_long');
    });

    it('push() faults as soon as an unterminated line exceeds the limit, holding at most one line', () => {
      const parser = new ReplyParser();
      const step = 1000;
      let result = parser.push(bytes('220 '));
      let sent = 4;
      while (result.fault === null && sent < 10 * MAX_REPLY_LINE_BYTES) {
        result = parser.push(Buffer.alloc(step, 0x41));
        sent += step;
        assert.ok(parser.buffered <= MAX_REPLY_LINE_BYTES + 1);
      }
      assert.equal(result.fault?.code, 'reply.line_too_long');
      assert.ok(sent <= MAX_REPLY_LINE_BYTES + step, `faulted after ${sent} bytes`);
      assert.ok(result.fault.message.includes('"220 AAAA'), result.fault.message);
    });

    it('push() faults on one huge chunk without copying it whole', () => {
      const parser = new ReplyParser();
      const result = parser.push(Buffer.alloc(10 * 1024 * 1024, 0x41));
      assert.equal(result.fault?.code, 'reply.line_too_long');
      assert.equal(parser.buffered, 0);
    });

    it(`push() accepts ${MAX_REPLY_LINES} lines and faults reply.too_many_lines on one more`, () => {
      const body = (n: number) => '250-x\r\n'.repeat(n - 1) + '250 end\r\n';
      const ok = feed([bytes(body(MAX_REPLY_LINES))]);
      assert.equal(ok.fault, null);
      assert.equal(ok.replies[0]!.lines.length, MAX_REPLY_LINES);

      const parser = new ReplyParser();
      const result = parser.push(bytes('250-x\r\n'.repeat(MAX_REPLY_LINES + 1)));
      assert.equal(result.fault?.code, 'reply.too_many_lines');
      assert.deepEqual(result.replies, []);
    });

    it('push() counts lines per reply, not per stream', () => {
      const out = feed([bytes('250 ok\r\n'.repeat(MAX_REPLY_LINES * 2))]);
      assert.equal(out.fault, null);
      assert.equal(out.replies.length, MAX_REPLY_LINES * 2);
    });
  });

  it('push() stays dead after a fault', () => {
    const parser = new ReplyParser();
    const first = parser.push(bytes('nope\r\n'));
    assert.equal(first.fault?.code, 'reply.malformed');
    const later = parser.push(bytes('250 fine\r\n'));
    assert.deepEqual(later, { lines: [], replies: [], fault: first.fault });
    assert.equal(parser.fault, first.fault);
    assert.equal(parser.discard(), 0);
    assert.deepEqual(parser.push(bytes('250 fine\r\n')).fault, first.fault);
  });

  describe('discard()', () => {
    it('discard() drops a partial line and incomplete reply lines and counts their bytes', () => {
      const parser = new ReplyParser();
      parser.push(bytes('250-one\r\n250-two\n250 thr'));
      assert.equal(parser.buffered, 9 + 8 + 7);
      assert.equal(parser.discard(), 24);
      assert.equal(parser.buffered, 0);
      assert.equal(parser.discard(), 0);
      // A fresh reply parses cleanly afterwards: nothing of the old one leaks in.
      const after = parser.push(bytes('250 clean\r\n'));
      assert.deepEqual(after.replies, [{ code: 250, enhanced: null, lines: ['250 clean'] }]);
    });

    it('discard() returns 0 when nothing is buffered', () => {
      const parser = new ReplyParser();
      parser.push(bytes('220 ready\r\n'));
      assert.equal(parser.discard(), 0);
    });
  });

  describe('stopAfterReply', () => {
    it('push() stops after the STARTTLS 220 and leaves injected plaintext unread', () => {
      const parser = new ReplyParser();
      const injected = '250-PIPELINING\r\n250 AUTH PLAIN\r\n';
      const result = parser.push(bytes(`220 2.0.0 Ready to start TLS\r\n${injected}`), { stopAfterReply: true });
      assert.deepEqual(result.lines, ['220 2.0.0 Ready to start TLS']);
      assert.deepEqual(result.replies, [{ code: 220, enhanced: '2.0.0', lines: ['220 2.0.0 Ready to start TLS'] }]);
      assert.equal(parser.buffered, Buffer.byteLength(injected));
      assert.equal(parser.discard(), Buffer.byteLength(injected));
      assert.deepEqual(parser.push(Buffer.alloc(0)), { lines: [], replies: [], fault: null });
    });

    it('push() with stopAfterReply counts a partial line after the reply as unread', () => {
      const parser = new ReplyParser();
      parser.push(bytes('220 Go'), { stopAfterReply: true });
      const result = parser.push(bytes(' ahead\r\nEVIL'), { stopAfterReply: true });
      assert.equal(result.replies.length, 1);
      assert.equal(parser.discard(), 4);
    });

    it('push() with stopAfterReply does not stop before a reply completes', () => {
      const parser = new ReplyParser();
      const result = parser.push(bytes('220-a\r\n220-b\r\n'), { stopAfterReply: true });
      assert.deepEqual(result.lines, ['220-a', '220-b']);
      assert.equal(parser.buffered, 14);
    });

    it('push() parses held bytes first when called again without discard()', () => {
      const parser = new ReplyParser();
      const first = parser.push(bytes('250 a\r\n250 b\r\n250 c'), { stopAfterReply: true });
      assert.deepEqual(first.lines, ['250 a']);
      const second = parser.push(bytes('\r\n'));
      assert.deepEqual(second.lines, ['250 b', '250 c']);
      assert.equal(second.replies.length, 2);
    });

    it('push() with stopAfterReply never reads a malformed line after the reply', () => {
      const parser = new ReplyParser();
      const result = parser.push(bytes('220 ok\r\n\u0000garbage\r\n'), { stopAfterReply: true });
      assert.equal(result.fault, null);
      assert.equal(parser.discard(), 10);
    });
  });
});
