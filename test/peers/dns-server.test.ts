import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { after, before, describe, it } from 'node:test';
import { mailDomainRecords, reverseName } from './dns-records.js';
import { type DnsServer, startDnsServer } from './dns-server.js';

/** Small budget: a timeout fault must fail fast, never by sleeping long. */
const RESOLVER_TIMEOUT_MS = 300;

describe('startDnsServer()', () => {
  let dns: DnsServer;
  let resolver: Resolver;

  before(async () => {
    dns = await startDnsServer([
      ...mailDomainRecords('example.test', [
        { name: 'mx1.example.test', addresses: ['127.0.0.2'], priority: 10 },
        { name: 'mx2.example.test', addresses: ['127.0.0.3', '::1'], priority: 20 },
      ]),
      { name: 'null.test', type: 'MX', priority: 0, exchange: '.' },
      { name: 'alias.example.test', type: 'CNAME', target: 'mx1.example.test' },
      { name: 'chain.example.test', type: 'CNAME', target: 'alias.example.test.' },
      { name: 'loop1.example.test', type: 'CNAME', target: 'loop2.example.test' },
      { name: 'loop2.example.test', type: 'CNAME', target: 'loop1.example.test' },
      { name: 'dangling.example.test', type: 'CNAME', target: 'nowhere.example.test' },
      { name: 'broken.test', fault: 'servfail' },
      { name: 'refusing.test', fault: 'refused' },
      { name: 'silent.test', fault: 'timeout' },
      { name: 'v6slow.test', type: 'A', address: '127.0.0.9' },
      { name: 'v6slow.test', fault: 'timeout', type: 'AAAA' },
      { name: 'txt.example.test', type: 'TXT', text: ['v=spf1', ' -all'] },
    ]);
    resolver = new Resolver({ timeout: RESOLVER_TIMEOUT_MS, tries: 1 });
    resolver.setServers([dns.address]);
  });

  after(() => dns.close());

  it('answers MX with every exchange and its priority', async () => {
    const mx = await resolver.resolveMx('example.test');
    assert.deepEqual(
      mx.sort((a, b) => a.priority - b.priority),
      [
        { priority: 10, exchange: 'mx1.example.test' },
        { priority: 20, exchange: 'mx2.example.test' },
      ],
    );
  });

  it('answers a null MX with an empty exchange', async () => {
    assert.deepEqual(await resolver.resolveMx('null.test'), [{ priority: 0, exchange: '' }]);
  });

  it('answers A and AAAA, names case-insensitively and with a trailing dot', async () => {
    assert.deepEqual(await resolver.resolve4('MX1.Example.Test.'), ['127.0.0.2']);
    assert.deepEqual(await resolver.resolve6('mx2.example.test'), ['::1']);
  });

  it('answers CNAME queries and follows chains for other types', async () => {
    assert.deepEqual(await resolver.resolveCname('alias.example.test'), ['mx1.example.test']);
    assert.deepEqual(await resolver.resolve4('chain.example.test'), ['127.0.0.2']);
  });

  it('answers PTR for 127.0.0.2 and ::1', async () => {
    assert.equal(reverseName('127.0.0.2'), '2.0.0.127.in-addr.arpa');
    assert.equal(reverseName('::1'), `1.${'0.'.repeat(31)}ip6.arpa`);
    assert.deepEqual(await resolver.reverse('127.0.0.2'), ['mx1.example.test']);
    assert.deepEqual(await resolver.reverse('::1'), ['mx2.example.test']);
  });

  it('answers TXT', async () => {
    assert.deepEqual(await resolver.resolveTxt('txt.example.test'), [['v=spf1', ' -all']]);
  });

  it('reports an unknown name as ENOTFOUND (NXDOMAIN)', async () => {
    await assert.rejects(resolver.resolve4('nope.example.test'), { code: 'ENOTFOUND' });
    await assert.rejects(resolver.resolve4('dangling.example.test'), { code: 'ENOTFOUND' });
  });

  it('reports a name without that type as ENODATA (NODATA), empty non-terminals included', async () => {
    await assert.rejects(resolver.resolveMx('mx1.example.test'), { code: 'ENODATA' });
    await assert.rejects(resolver.resolve6('mx1.example.test'), { code: 'ENODATA' });
    await assert.rejects(resolver.resolve4('in-addr.arpa'), { code: 'ENODATA' });
  });

  it('injects SERVFAIL, REFUSED and timeouts per name and type', async () => {
    await assert.rejects(resolver.resolveMx('broken.test'), { code: 'ESERVFAIL' });
    await assert.rejects(resolver.resolveMx('refusing.test'), { code: 'EREFUSED' });
    await assert.rejects(resolver.resolveMx('silent.test'), { code: 'ETIMEOUT' });
    assert.deepEqual(await resolver.resolve4('v6slow.test'), ['127.0.0.9']);
    await assert.rejects(resolver.resolve6('v6slow.test'), { code: 'ETIMEOUT' });
  });

  it('answers a CNAME loop with SERVFAIL', async () => {
    await assert.rejects(resolver.resolve4('loop1.example.test'), { code: 'ESERVFAIL' });
  });

  it('truncates a large UDP answer and serves it over TCP', async () => {
    const addresses = Array.from({ length: 120 }, (_, i) => `127.0.${Math.floor(i / 250) + 1}.${(i % 250) + 1}`);
    dns.set(...addresses.map((address) => ({ name: 'big.example.test', type: 'A' as const, address })));
    const answer = await resolver.resolve4('big.example.test');
    assert.deepEqual(answer.sort(), [...addresses].sort());
    const asked = dns.queries.filter((q) => q.name === 'big.example.test');
    assert.deepEqual(
      asked.map((q) => [q.transport, q.outcome]),
      [
        ['udp', 'TRUNCATED'],
        ['tcp', 'NOERROR'],
      ],
    );
  });

  it('replaces and removes records at run time', async () => {
    dns.set({ name: 'mx1.example.test', type: 'A', address: '127.0.0.42' });
    assert.deepEqual(await resolver.resolve4('mx1.example.test'), ['127.0.0.42']);
    dns.remove('mx1.example.test');
    await assert.rejects(resolver.resolve4('mx1.example.test'), { code: 'ENOTFOUND' });
    dns.add({ name: 'mx1.example.test', type: 'A', address: '127.0.0.2' });
    assert.deepEqual(await resolver.resolve4('mx1.example.test'), ['127.0.0.2']);
  });

  it('answers SOA for the root zone and for a top-level domain in use, NXDOMAIN for one that is not', async () => {
    assert.equal((await resolver.resolveSoa('.')).nsname, 'ns');
    assert.equal((await resolver.resolveSoa('test')).nsname, 'ns.test');
    await assert.rejects(resolver.resolveSoa('cmo'), { code: 'ENOTFOUND' });
  });

  it('fails every question, the root included, while failAll() is set, and answers again after', async () => {
    dns.failAll('nxdomain');
    try {
      await assert.rejects(resolver.resolveSoa('.'), { code: 'ENOTFOUND' });
      await assert.rejects(resolver.resolve4('mx1.example.test'), { code: 'ENOTFOUND' });
      dns.failAll('refused');
      await assert.rejects(resolver.resolveMx('example.test'), { code: 'EREFUSED' });
    } finally {
      dns.failAll(null);
    }
    assert.equal((await resolver.resolveMx('example.test')).length, 2);
  });

  it('denies one name with an nxdomain fault, the root zone too', async () => {
    dns.add({ name: '.', fault: 'nxdomain', type: 'SOA' });
    try {
      await assert.rejects(resolver.resolveSoa('.'), { code: 'ENOTFOUND' });
    } finally {
      dns.remove('.');
    }
    assert.equal((await resolver.resolveSoa('.')).nsname, 'ns');
  });

  it('logs every query with its transport', () => {
    assert.ok(dns.queries.some((q) => q.name === 'example.test' && q.type === 'MX' && q.transport === 'udp'));
    assert.ok(dns.queries.some((q) => q.name === 'silent.test' && q.outcome === 'DROPPED'));
  });
});

describe('startDnsServer() on ::1', () => {
  it('serves UDP and TCP over IPv6 loopback', async () => {
    const dns = await startDnsServer([{ name: 'six.test', type: 'AAAA', address: '::1' }], {
      host: '::1',
      maxUdpBytes: 20,
    });
    try {
      assert.match(dns.address, /^\[::1\]:\d+$/);
      const resolver = new Resolver({ timeout: RESOLVER_TIMEOUT_MS, tries: 1 });
      resolver.setServers([dns.address]);
      assert.deepEqual(await resolver.resolve6('six.test'), ['::1']);
      assert.deepEqual(
        dns.queries.map((q) => q.transport),
        ['udp', 'tcp'],
      );
    } finally {
      await dns.close();
    }
  });
});
