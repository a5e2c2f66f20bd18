import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKey } from './client-key.js';

test('clientKey() keys an IPv4 client on its address, an IPv4-mapped IPv6 one on the IPv4 address', () => {
  assert.equal(clientKey('192.0.2.1'), '192.0.2.1');
  assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(clientKey('::FFFF:192.0.2.1'), '192.0.2.1');
});

test('clientKey() keys an IPv6 client on its /64, however the address is written', () => {
  const key = '2001:db8:0:1::/64';
  for (const address of [
    '2001:db8:0:1::1',
    '2001:db8:0:1:ffff:ffff:ffff:ffff',
    '2001:0db8:0000:0001:0000:0000:0000:0002',
    '2001:db8::1:0:0:0:3',
    '2001:db8:0:1:a:b:192.0.2.1',
    '2001:db8:0:1::4%eth0',
  ]) {
    assert.equal(clientKey(address), key, address);
  }
  assert.notEqual(clientKey('2001:db8:0:2::1'), key, 'the next /64 is another client');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  assert.equal(clientKey('fe80::1'), 'fe80:0:0:0::/64');
  assert.equal(clientKey('::'), '0:0:0:0::/64');
});

test('clientKey() keeps anything that is not an IP address as it is', () => {
  assert.equal(clientKey(undefined), 'unknown');
  assert.equal(clientKey(''), 'unknown');
  assert.equal(clientKey('/run/checker.sock'), '/run/checker.sock');
});
