/**
 * The DNS client against the in-process DNS server (real UDP packets on
 * loopback): a bulk run's burst of questions must not be lost.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../../../test/peers/dns-server.js';
import { createDnsClient } from './dns-client.js';
import { Resolver } from 'node:dns/promises';
import { parseResolver, resolverServerString } from '../../config/settings.js';

/** The bench's test slice of loopback (127.0.0.235–238). */
const DNS_HOST = '127.0.0.236';
/** A bulk run's burst: far more questions than a resolver's socket buffer holds at once. */
const BURST = 1000;

let dns: DnsServer;

before(async () => {
  dns = await startDnsServer(
    Array.from({ length: BURST }, (_, i) => ({
      name: `d${i}.burst.test`,
      type: 'MX' as const,
      priority: 10,
      exchange: 'mx.burst.test',
    })),
    { host: DNS_HOST },
  );
});
after(async () => {
  await dns.close();
});

test('a burst of a thousand questions is answered in full, none lost to a full socket buffer', async () => {
  const client = createDnsClient({ resolver: parseResolver(dns.address), timeoutMs: 1000, tries: 1 });
  const answers = await Promise.all(Array.from({ length: BURST }, (_, i) => client.mx(`d${i}.burst.test`)));
  const failed = answers.filter((a) => !a.ok);
  assert.equal(failed.length, 0, `${failed.length} lost, e.g. ${JSON.stringify(failed[0])}`);
});

test("a client names the resolver it asks: the setting, or the system's, always as IP:PORT", () => {
  assert.deepEqual(createDnsClient({ resolver: parseResolver(dns.address) }).resolver, {
    servers: [dns.address],
    source: 'setting',
  });
  assert.deepEqual(createDnsClient({ resolver: parseResolver('::1') }).resolver.servers, ['[::1]:53']);
  const system = createDnsClient().resolver;
  assert.equal(system.source, 'system');
  assert.deepEqual(
    system.servers,
    new Resolver().getServers().map((s) => resolverServerString(parseResolver(s))),
  );
});
