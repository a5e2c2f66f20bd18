/**
 * The resolver check against the in-process DNS server (real packets on
 * loopback) playing a working resolver and a broken one.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../../../test/peers/dns-server.js';
import { createDnsClient } from './dns-client.js';
import { checkResolver, topLevelDomain } from './resolver-check.js';
import { parseResolver } from '../../config/settings.js';
import type { DnsFailure } from '../../model/observation.js';

let dns: DnsServer;
before(async () => {
  dns = await startDnsServer([{ name: 'mx.example.test', type: 'A', address: '127.0.0.9' }]);
});
afterEach(() => dns.failAll(null));
after(async () => {
  await dns.close();
});

const client = () => createDnsClient({ resolver: parseResolver(dns.address), timeoutMs: 300, tries: 1 });
const failure = (name: string, code: DnsFailure['code']): DnsFailure => ({ name, rrtype: 'MX', code, message: code });

describe('topLevelDomain()', () => {
  it('is the last label, or null for a single label', () => {
    assert.equal(topLevelDomain('mail.example.cmo'), 'cmo');
    assert.equal(topLevelDomain('localhost'), null);
  });
});

describe('checkResolver()', () => {
  it('asks the TLD only after an NXDOMAIN, and tells a missing TLD from a missing name', async () => {
    const typo = await checkResolver(client(), 'example.cmo', failure('example.cmo', 'NXDOMAIN'));
    assert.equal(typo?.conclusion, 'tld_missing');
    assert.equal(typo?.tld?.error?.code, 'NXDOMAIN');
    const missing = await checkResolver(client(), 'gone.test', failure('gone.test', 'NXDOMAIN'));
    assert.equal(missing?.conclusion, 'domain');
    const servfail = await checkResolver(client(), 'broken.test', failure('broken.test', 'SERVFAIL'));
    assert.deepEqual(servfail, {
      root: { name: '.', rrtype: 'SOA', answered: true, error: null },
      tld: null,
      conclusion: 'domain',
    });
  });

  it('blames the resolver when it refuses us, or fails the root zone too', async () => {
    assert.equal((await checkResolver(client(), 'x.test', failure('x.test', 'REFUSED')))?.conclusion, 'resolver');
    dns.failAll('servfail');
    const check = await checkResolver(client(), 'x.test', failure('x.test', 'SERVFAIL'));
    assert.equal(check?.conclusion, 'resolver');
    assert.equal(check?.root.error?.code, 'SERVFAIL');
  });

  it("says nothing once the collection was cut: our silence is not the resolver's", async () => {
    const queries = dns.queries.length;
    assert.equal(await checkResolver(client(), 'x.test', failure('x.test', 'TIMEOUT'), AbortSignal.abort()), null);
    assert.equal(dns.queries.length, queries, 'nothing asked');
  });
});
