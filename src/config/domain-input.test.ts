import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reduceToDomain } from './domain-input.js';

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
