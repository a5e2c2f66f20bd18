import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nonPublicReason, publicTargetsOnly } from './target-policy.js';

test('nonPublicReason() names loopback, private, link-local, CGNAT, multicast and documentation ranges', () => {
  const cases: [string, RegExp][] = [
    ['127.0.0.1', /loopback/],
    ['::1', /loopback/],
    ['10.1.2.3', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['fd12:3456::1', /unique local/],
    ['169.254.169.254', /link-local/],
    ['fe80::1', /link-local/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['224.0.0.1', /multicast/],
    ['ff02::1', /multicast/],
    ['192.0.2.1', /documentation/],
    ['198.51.100.7', /documentation/],
    ['203.0.113.9', /documentation/],
    ['2001:db8::25', /documentation/],
    ['0.0.0.0', /unspecified/],
    ['255.255.255.255', /reserved/],
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:10.0.0.1', /private/],
  ];
  for (const [address, reason] of cases) assert.match(nonPublicReason(address) ?? 'public', reason, address);
});

test('nonPublicReason() lets public unicast addresses through', () => {
  for (const address of [
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '192.0.3.1',
    '2a00:1450:4007:80c::1b',
    '::ffff:8.8.4.4',
  ]) {
    assert.equal(nonPublicReason(address), null, address);
  }
});

test('publicTargetsOnly() refuses with a sentence an operator understands', () => {
  assert.equal(
    publicTargetsOnly('10.0.0.5'),
    'not probed: 10.0.0.5 is a private address (RFC 1918), and this checker only probes public addresses',
  );
  assert.equal(publicTargetsOnly('9.9.9.9'), null);
  assert.equal(nonPublicReason('mx.example.com'), 'not an IP address');
});
