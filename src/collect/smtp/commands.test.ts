import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CheckerError } from '../../model/errors.js';
import { CRLF, ehlo, helo, mailFrom, quit, rcptTo, rset, starttls, toWire } from './commands.js';

/** How a message quotes a value: JSON, plus DEL, C1 and U+2028/9 escaped. */
function visible(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function assertUnsafe(fn: () => unknown, quoted?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CheckerError, String(error));
    assert.equal(error.code, 'command.unsafe');
    if (quoted !== undefined) assert.ok(error.message.includes(quoted), error.message);
    // The message itself must be safe to log: no raw control characters.
    assert.ok(!/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(error.message), JSON.stringify(error.message));
    return true;
  });
}

describe('commands', () => {
  it('builders produce the expected command lines', () => {
    assert.equal(ehlo('checker.example.net'), 'EHLO checker.example.net');
    assert.equal(helo('checker.example.net'), 'HELO checker.example.net');
    assert.equal(starttls(), 'STARTTLS');
    assert.equal(mailFrom('probe@checker.example.net'), 'MAIL FROM:<probe@checker.example.net>');
    assert.equal(mailFrom(''), 'MAIL FROM:<>');
    assert.equal(rcptTo('postmaster@example.com'), 'RCPT TO:<postmaster@example.com>');
    assert.equal(rset(), 'RSET');
    assert.equal(quit(), 'QUIT');
  });

  it('ehlo() accepts hostnames, A-labels and address literals', () => {
    for (const name of [
      'localhost',
      'mx1.example.com',
      'MX-1.Example.COM',
      'xn--bcher-kva.example',
      '123.example',
      'a'.repeat(63) + '.example',
      '[192.0.2.1]',
      '[IPv6:2001:db8::1]',
      '[ipv6:2001:DB8::1]',
      '[IPv6:::ffff:192.0.2.1]',
    ]) {
      assert.equal(ehlo(name), `EHLO ${name}`);
    }
  });

  it('rcptTo() accepts dot-atom local parts with every atext character', () => {
    for (const address of [
      'user@example.com',
      'first.last@example.com',
      "!#$%&'*+/=?^_`{|}~-@example.com",
      'user+tag@xn--bcher-kva.example',
      `${'a'.repeat(64)}@example.com`,
    ]) {
      assert.equal(rcptTo(address), `RCPT TO:<${address}>`);
    }
  });

  describe('refusals', () => {
    const badNames: [string, string][] = [
      ['empty', ''],
      ['CR', 'mx.example.com\r'],
      ['LF', 'mx.example.com\nRSET'],
      ['CRLF injection', 'mx.example.com\r\nMAIL FROM:<a@b.c>'],
      ['NUL', 'mx\u0000.example.com'],
      ['space', 'mx example.com'],
      ['tab', 'mx\texample.com'],
      ['DEL', 'mx\u007f.example.com'],
      ['ESC', 'mx\u001b.example.com'],
      ['angle brackets', '<mx.example.com>'],
      ['non-ASCII', 'mx.bücher.example'],
      ['fullwidth dot', 'mx．example．com'],
      ['trailing dot', 'mx.example.com.'],
      ['empty label', 'mx..example.com'],
      ['leading hyphen', '-mx.example.com'],
      ['trailing hyphen', 'mx-.example.com'],
      ['underscore', 'mx_1.example.com'],
      ['label over 63', 'a'.repeat(64) + '.example'],
      ['name over 255', ('a'.repeat(63) + '.').repeat(4) + 'abcd'],
      ['unbracketed IPv6', '2001:db8::1'],
      ['bad IPv4 literal', '[192.0.2.256]'],
      ['IPv4 literal with leading zero', '[192.0.2.01]'],
      ['IPv6 literal without tag', '[2001:db8::1]'],
      ['IPv6 zone id', '[IPv6:fe80::1%eth0]'],
      ['literal with CRLF', '[192.0.2.1]\r\n'],
      ['literal with space', '[ 192.0.2.1]'],
      ['unclosed literal', '[192.0.2.1'],
    ];
    for (const [what, name] of badNames) {
      it(`ehlo() and helo() refuse a name with ${what}`, () => {
        assertUnsafe(() => ehlo(name), visible(name));
        assertUnsafe(() => helo(name), visible(name));
      });
    }

    const badAddresses: [string, string][] = [
      ['CR', 'user@example.com\r'],
      ['LF', 'user@example.com\nDATA'],
      ['CRLF injection', 'user@example.com>\r\nRCPT TO:<victim@example.org'],
      ['NUL', 'us\u0000er@example.com'],
      ['closing bracket', 'user@example.com>'],
      ['opening bracket', '<user@example.com'],
      ['space', 'user name@example.com'],
      ['tab', 'user@example.com\t'],
      ['SMTP parameter', 'user@example.com> SIZE=1'],
      ['no @', 'postmaster'],
      ['empty local part', '@example.com'],
      ['empty domain', 'user@'],
      ['two @', 'a@b@example.com'],
      ['quoted local part', '"a b"@example.com'],
      ['leading dot', '.user@example.com'],
      ['double dot', 'us..er@example.com'],
      ['trailing dot in local part', 'user.@example.com'],
      ['address-literal domain', 'user@[192.0.2.1]'],
      ['source route', '@relay.example:user@example.com'],
      ['non-ASCII local part', 'üser@example.com'],
      ['non-ASCII domain', 'user@bücher.example'],
      ['local part over 64', `${'a'.repeat(65)}@example.com`],
      ['address over 254', `${'a'.repeat(64)}@${('b'.repeat(60) + '.').repeat(3)}${'c'.repeat(10)}`],
      ['ESC', 'user\u001b@example.com'],
      ['unicode line separator', 'user\u2028@example.com'],
    ];
    for (const [what, address] of badAddresses) {
      it(`mailFrom() and rcptTo() refuse an address with ${what}`, () => {
        assertUnsafe(() => mailFrom(address), visible(address));
        assertUnsafe(() => rcptTo(address), visible(address));
      });
    }

    it('rcptTo() refuses the empty address', () => {
      assertUnsafe(() => rcptTo(''), '""');
    });

    it('builders refuse non-strings from untyped callers', () => {
      assertUnsafe(() => ehlo(undefined as unknown as string));
      assertUnsafe(() => rcptTo(42 as unknown as string));
    });

    it('error messages make control characters visible', () => {
      assertUnsafe(() => ehlo('a\r\nb\u0000'), '"a\\r\\nb\\u0000"');
      assertUnsafe(() => ehlo('a\u007fb\u2028'), '"a\\u007fb\\u2028"');
    });
  });

  describe('toWire()', () => {
    it('toWire() appends exactly one CRLF', () => {
      assert.equal(CRLF, '\r\n');
      assert.equal(toWire(ehlo('mx.example.com')), 'EHLO mx.example.com\r\n');
      assert.equal(toWire(mailFrom('')), 'MAIL FROM:<>\r\n');
    });

    it('toWire() refuses CR, LF, NUL, other controls, non-ASCII and the empty line', () => {
      for (const command of ['QUIT\r\n', 'RSET\r', 'RSET\nQUIT', 'NO\u0000OP', 'NO\tOP', 'NOOP\u007f', 'NOOP é', '']) {
        assertUnsafe(() => toWire(command), visible(command));
      }
    });

    it('toWire() refuses a command over the 512-byte line limit', () => {
      assert.equal(toWire('X'.repeat(510)).length, 512);
      assertUnsafe(() => toWire('X'.repeat(511)));
    });

    it('toWire() accepts every command the builders can make at their longest', () => {
      const longest = `${'a'.repeat(64)}@${('b'.repeat(62) + '.').repeat(2)}${'c'.repeat(63)}`;
      assert.equal(longest.length, 254);
      toWire(rcptTo(longest));
      toWire(mailFrom(longest));
      const longName = ('a'.repeat(63) + '.').repeat(3) + 'b'.repeat(63);
      toWire(ehlo(longName));
    });
  });
});
