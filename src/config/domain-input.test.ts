import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { domainFromInput, reduceToDomain } from './domain-input.js';
import { parseOptions } from './options.js';

const domainOf = (line: string) => {
  const r = reduceToDomain(line);
  return r.ok ? r.domain : `ERROR ${r.reason}`;
};

test('reduceToDomain() keeps a bare domain as it is, normalised, without a note', () => {
  assert.deepEqual(reduceToDomain('  Example.COM.  '), { ok: true, domain: 'example.com', kind: null, note: null });
  assert.equal(domainOf('bücher.example'), 'xn--bcher-kva.example');
});

test('reduceToDomain() reduces URLs of any scheme to their host and says so', () => {
  assert.deepEqual(reduceToDomain('https://shop.example/'), {
    ok: true,
    domain: 'shop.example',
    kind: 'url',
    note: 'shop.example (from https://shop.example/)',
  });
  assert.equal(domainOf('HTTP://user:pw@Shop.Example:8443/cart?x=1#top'), 'shop.example');
  assert.equal(domainOf('smtp://mx.shop.example'), 'mx.shop.example');
  assert.equal(domainOf('shop.example/cart'), 'shop.example');
  assert.equal(domainOf('shop.example:443/'), 'shop.example');
  assert.equal(domainOf('mx.shop.example:25'), 'mx.shop.example');
  assert.equal(domainOf('https://bücher.example/'), 'xn--bcher-kva.example');
});

test('reduceToDomain() reduces e-mail addresses, mailto: links and "Name <address>" to the domain after the last @', () => {
  for (const line of [
    'jane@shop.example',
    'mailto:jane@shop.example?subject=hi',
    'Jane Doe <jane@Shop.Example>',
    '"a@b" <jane@shop.example>',
  ]) {
    const r = reduceToDomain(line);
    assert.ok(r.ok, line);
    assert.equal(r.domain, 'shop.example', line);
    assert.equal(r.kind, 'email', line);
    assert.match(r.note!, /^shop\.example \(from .+\)$/);
  }
});

test('reduceToDomain() refuses what names no domain, quoting the bad part', () => {
  assert.match(domainOf(''), /is empty/);
  assert.match(domainOf('bad..name'), /^ERROR "bad\.\.name" has an empty label/);
  assert.match(domainOf('192.0.2.1'), /is an IP address/);
  assert.match(domainOf('https://[2001:db8::1]/'), /the host of the URL .* is an IP address/);
  assert.match(domainOf('jane@'), /neither a domain nor an e-mail address/);
  assert.match(domainOf('two words'), /contains a space/);
  assert.match(domainOf('https://'), /does not parse/);
  assert.match(domainOf('evil.example\r\nRCPT TO:<x@y>'), /contains a carriage return/);
  // The note and the reason never carry raw control characters.
  const r = reduceToDomain('https://a.example/\u001b[2J');
  assert.ok(!r.ok);
  assert.match(r.reason, /^"https:\/\/a\.example\/\\u001b\[2J" contains the control character U\+001B$/);
  const note = reduceToDomain('https://a.example/\u202e');
  assert.ok(note.ok);
  assert.equal(note.note, 'a.example (from https://a.example/\\u202e)', 'layout characters quoted as escapes');
});

describe('domainFromInput()', () => {
  it('reduces a pasted web address, mail address, trailing dot or spaces to the domain, keeping what it came from', () => {
    const cases: [string, string][] = [
      ['https://shop.example/path', 'shop.example'],
      ['http://shop.example:8080/cart?x=1#top', 'shop.example'],
      ['https://user:secret@shop.example/', 'shop.example'],
      ['smtp://mx.shop.example:25', 'mx.shop.example'],
      ['user@shop.example', 'shop.example'],
      ['mailto:user@shop.example', 'shop.example'],
      ['<user@shop.example>', 'shop.example'],
      ['"odd@local"@shop.example', 'shop.example'],
      ['shop.example.', 'shop.example'],
      ['  shop.example \t', 'shop.example'],
      ['shop.example/contact', 'shop.example'],
      ['Shop.Example:25', 'shop.example'],
      ['Jane Doe <jane@shop.example>', 'shop.example'],
    ];
    for (const [input, domain] of cases) assert.deepEqual(domainFromInput(input), { domain, from: input }, input);
  });

  it('leaves a plain domain alone and says nothing was taken from it', () => {
    for (const input of ['shop.example', 'xn--bcher-kva.example', 'a.b.c.example'])
      assert.deepEqual(domainFromInput(input), { domain: input, from: null });
  });

  it('hands what is no domain to validation untouched, to be refused there by name', () => {
    for (const input of ['', '   ', 'https://', 'user@', 'evil.example\r\nRCPT TO:<x@y>', 'a\u0000b.example'])
      assert.deepEqual(domainFromInput(input), { domain: input, from: null }, JSON.stringify(input));
    // What is left is still judged as a domain: an IPv6 URL is no domain.
    const v6 = domainFromInput('https://[2001:db8::1]/');
    assert.throws(() => parseOptions({ domain: v6.domain }), /domain/i);
  });

  it('is idempotent: a reduced domain reduces to itself', () => {
    for (const input of ['https://shop.example/path', 'user@shop.example', 'shop.example.'])
      assert.deepEqual(domainFromInput(domainFromInput(input).domain), {
        domain: 'shop.example',
        from: null,
      });
  });
});
