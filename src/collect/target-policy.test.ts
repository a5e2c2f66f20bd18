import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embeddedIpv4, mappedIpv4, nonPublicReason, publicTargetsOnly } from './target-policy.js';

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

test('nonPublicReason() judges an IPv6 address that carries an IPv4 one by that IPv4 address', () => {
  const cases: [address: string, reason: RegExp][] = [
    // Each reaches 127.0.0.1 wherever a translator or relay for its range sits on the path.
    ['::ffff:127.0.0.1', /^an IPv4-mapped address of 127\.0\.0\.1, a loopback address$/],
    ['::ffff:7f00:1', /^an IPv4-mapped address of 127\.0\.0\.1, a loopback/],
    ['::ffff:0:7f00:1', /^an IPv4-translated \(SIIT, RFC 7915\) address of 127\.0\.0\.1, a loopback/],
    ['::ffff:0:10.1.2.3', /SIIT.* of 10\.1\.2\.3, a private address/],
    ['64:ff9b::7f00:1', /^a NAT64 address \(RFC 6052\) of 127\.0\.0\.1, a loopback address$/],
    ['64:ff9b::a9fe:a9fe', /NAT64 .* of 169\.254\.169\.254, a link-local address/],
    ['2002:7f00:1::1', /^a 6to4 address \(RFC 3056\) of 127\.0\.0\.1, a loopback address$/],
    ['2002:c0a8:101::25', /6to4 .* of 192\.168\.1\.1, a private address/],
    // Teredo: the client's IPv4 is the last 32 bits inverted (0x80fffffe → 127.0.0.1).
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', /^a Teredo address \(RFC 4380\) of 127\.0\.0\.1, a loopback/],
    ['2001:0:a00:1:8000:63bf:f7f7:f7f7', /Teredo .* of 10\.0\.0\.1, a private address/],
    // Refused whole: where the IPv4 sits cannot be told, or nothing routes the range.
    ['64:ff9b:1::a00:1', /local-use NAT64 address \(RFC 8215\), whose embedded IPv4 address cannot be told/],
    ['64:ff9b:1:ffff::808:808', /local-use NAT64/],
    ['::127.0.0.1', /IPv4-compatible address \(deprecated, RFC 4291\)/],
    ['::7f00:1', /IPv4-compatible/],
    ['::8.8.8.8', /IPv4-compatible/],
  ];
  for (const [address, reason] of cases) assert.match(nonPublicReason(address) ?? 'public', reason, address);
});

test('nonPublicReason() lets through an embedding of a public IPv4 address', () => {
  for (const address of [
    '::ffff:8.8.8.8',
    '::ffff:0:808:808',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7', // client 8.8.8.8, server 65.54.227.120
  ]) {
    assert.equal(nonPublicReason(address), null, address);
  }
});

test('nonPublicReason() refuses IPv6 outside global unicast and the special-purpose ranges inside it', () => {
  const cases: [string, RegExp][] = [
    ['4000::1', /outside the global unicast range 2000::\/3/],
    ['::2', /IPv4-compatible/],
    ['2001:2::1', /benchmarking/],
    ['2001:20::1', /ORCHIDv2/],
    ['5f00::1', /segment-routing/],
    ['fec0::1', /site-local/],
    ['fe80::1%eth0', /link-local/],
    ['3fff:0:1::25', /documentation/],
    ['192.88.99.1', /6to4 relay anycast/],
  ];
  for (const [address, reason] of cases) assert.match(nonPublicReason(address) ?? 'public', reason, address);
});

test('embeddedIpv4() says which IPv4 addresses an IPv6 address carries, and how', () => {
  assert.deepEqual(embeddedIpv4('64:ff9b::c000:221'), [{ ipv4: '192.0.2.33', via: 'a NAT64 address (RFC 6052)' }]);
  assert.deepEqual(
    embeddedIpv4('2001:0:4136:e378:8000:63bf:3fff:fdd2')?.map((e) => e.ipv4),
    ['192.0.2.45', '65.54.227.120'],
  );
  assert.equal(embeddedIpv4('2a00:1450:4007:80c::1b'), null);
  assert.equal(embeddedIpv4('64:ff9b:1::a00:1'), null, 'its IPv4 cannot be told');
  assert.equal(embeddedIpv4('192.0.2.1'), null);
});

test('mappedIpv4() unwraps IPv4-mapped addresses only', () => {
  assert.equal(mappedIpv4('::ffff:127.7.0.1'), '127.7.0.1');
  assert.equal(mappedIpv4('::FFFF:7f07:1'), '127.7.0.1');
  assert.equal(mappedIpv4('::ffff:0:7f07:1'), null, 'SIIT is IPv6 on the wire');
  assert.equal(mappedIpv4('::127.7.0.1'), null);
  assert.equal(mappedIpv4('2001:db8::1'), null);
  assert.equal(mappedIpv4('127.7.0.1'), null);
});
