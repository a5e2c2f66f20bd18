/**
 * The DNS answer cache against the in-process DNS server (real packets on
 * loopback). A counting wrapper around the real client shows which questions
 * reached the resolver; a movable clock stands in for waiting out TTLs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../../../test/peers/dns-server.js';
import { createDnsClient, type DnsClient } from './dns-client.js';
import { createDnsCache, withDnsCache, type DnsCacheOptions } from './dns-cache.js';
import { parseResolver } from '../../config/settings.js';

/** The bench's test slice of loopback (127.0.0.235–238): nothing else listens there. */
const DNS_HOST = '127.0.0.235';

let dns: DnsServer;

before(async () => {
  dns = await startDnsServer(
    [
      { name: 'mx.shared.test', type: 'A', address: '127.0.0.236', ttl: 300 },
      { name: 'mx.shared.test', type: 'A', address: '127.0.0.237', ttl: 60 },
      { name: 'zero.shared.test', type: 'A', address: '127.0.0.236', ttl: 0 },
      { name: 'shared.test', type: 'MX', priority: 10, exchange: 'mx.shared.test', ttl: 3600 },
      { name: 'broken.shared.test', fault: 'servfail' },
    ],
    { host: DNS_HOST },
  );
});
after(async () => {
  await dns.close();
});

/** A cached client over the real one, counting the questions that got past the cache. */
function cachedClient(options: DnsCacheOptions = {}) {
  let clock = 1_000_000;
  const asked: string[] = [];
  const real = createDnsClient({ resolver: parseResolver(dns.address), timeoutMs: 500, tries: 1 });
  const counting: DnsClient = {
    resolver: real.resolver,
    soa: (n) => (asked.push(`SOA ${n}`), real.soa(n)),
    mx: (n) => (asked.push(`MX ${n}`), real.mx(n)),
    a: (n) => (asked.push(`A ${n}`), real.a(n)),
    aaaa: (n) => (asked.push(`AAAA ${n}`), real.aaaa(n)),
    cname: (n) => (asked.push(`CNAME ${n}`), real.cname(n)),
    ptr: (n) => (asked.push(`PTR ${n}`), real.ptr(n)),
  };
  const cache = createDnsCache({ now: () => clock, ...options });
  return { client: withDnsCache(counting, cache), cache, asked, advance: (s: number) => (clock += s * 1000) };
}

test('createDnsClient() reports the smallest TTL of an A RRset', async () => {
  const real = createDnsClient({ resolver: parseResolver(dns.address) });
  const answer = await real.a('mx.shared.test');
  assert.deepEqual(answer, { ok: true, records: ['127.0.0.236', '127.0.0.237'], ttl: 60 });
});

test('an answer is reused within its TTL and asked again once it has expired', async () => {
  const { client, asked, advance } = cachedClient();
  assert.deepEqual((await client.a('mx.shared.test')).ok, true);
  advance(59);
  const again = await client.a('MX.Shared.Test.');
  assert.deepEqual(again.ok && again.records, ['127.0.0.236', '127.0.0.237']);
  assert.deepEqual(asked, ['A mx.shared.test'], 'same name in another spelling, within the 60 s TTL: no new question');
  advance(2);
  await client.a('mx.shared.test');
  assert.equal(asked.length, 2, 'the smallest TTL of the RRset (60 s) has passed');
});

test('a TTL of zero is never cached', async () => {
  const { client, asked } = cachedClient();
  await client.a('zero.shared.test');
  await client.a('zero.shared.test');
  assert.equal(asked.length, 2);
});

test('concurrent identical questions share one answer from the resolver', async () => {
  const { client, asked, cache } = cachedClient();
  const answers = await Promise.all(Array.from({ length: 20 }, () => client.a('mx.shared.test')));
  assert.ok(answers.every((a) => a.ok));
  assert.deepEqual(asked, ['A mx.shared.test']);
  assert.equal(cache.stats().coalesced, 19);
});

test('answers without a reported TTL (MX) are kept no longer than the unreported-TTL bound', async () => {
  const { client, asked, advance } = cachedClient({ unreportedTtlS: 10 });
  await client.mx('shared.test');
  advance(9);
  await client.mx('shared.test');
  assert.equal(asked.length, 1);
  advance(2);
  await client.mx('shared.test');
  assert.equal(asked.length, 2, 'the 3600 s TTL is invisible through node:dns: the 10 s bound applies');
});

test('NXDOMAIN is cached for the bounded negative TTL; SERVFAIL is never cached', async () => {
  const { client, asked, advance } = cachedClient({ negativeTtlS: 5 });
  const missing = await client.a('nothing.shared.test');
  assert.equal(!missing.ok && missing.failure.code, 'NXDOMAIN');
  await client.a('nothing.shared.test');
  assert.equal(asked.length, 1);
  advance(6);
  await client.a('nothing.shared.test');
  assert.equal(asked.length, 2);

  const failed = await client.a('broken.shared.test');
  assert.equal(!failed.ok && failed.failure.code, 'SERVFAIL');
  await client.a('broken.shared.test');
  assert.equal(asked.filter((q) => q === 'A broken.shared.test').length, 2);
});

test('the cache holds at most maxEntries answers, dropping the least recently used', async () => {
  const { client, asked, cache } = cachedClient({ maxEntries: 2 });
  await client.a('mx.shared.test');
  await client.mx('shared.test');
  await client.a('mx.shared.test'); // now the most recently used
  await client.aaaa('mx.shared.test'); // NODATA, cached: evicts the MX answer
  assert.equal(cache.stats().entries, 2);
  await client.a('mx.shared.test');
  assert.equal(asked.filter((q) => q === 'A mx.shared.test').length, 1);
  await client.mx('shared.test');
  assert.equal(asked.filter((q) => q === 'MX shared.test').length, 2);
});
