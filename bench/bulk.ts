/**
 * Section 3: bulk throughput. N domains share four MX addresses (each
 * domain has two of them), all checked through the library with one shared
 * connection gate at one connection per address, every address behind a
 * delay proxy that counts the connections open to it at once.
 */
import { collect } from '../src/collect/collect.js';
import { collectMany } from '../src/collect/collect-many.js';
import { createConnectionGate } from '../src/collect/connection-gate.js';
import { createDnsCache, withDnsCache } from '../src/collect/dns/dns-cache.js';
import { createDnsClient, type DnsClient } from '../src/collect/dns/dns-client.js';
import type { Observation } from '../src/model/observation.js';
import { parseResolver } from '../src/config/settings.js';
import { testCa } from '../test/peers/certs.js';
import { reverseName, type DnsRecord } from '../test/peers/dns-records.js';
import type { DnsServer } from '../test/peers/dns-server.js';
import { UPSTREAM_HOST, benchAddress, startMx, startProxies } from './bench-peers.js';
import type { DelayProxy } from './delay-proxy.js';
import type { Row } from './table.js';

/** The shared MX addresses: "a handful of MX hosts", as at a hosting provider. */
export const MX_HOSTS = [11, 12, 13, 14].map(benchAddress);
export const SUFFIX = 'bulk.bench.test';
/** TTL of the published records: long enough that a run reuses them, as real MX records allow (an hour is common). */
const RECORD_TTL_S = 3600;
/** The politeness bound under test: one connection at a time per address. */
const PER_ADDRESS = 1;

export interface BulkCase {
  domains: number;
  oneWayMs: number;
  /** Per-domain collect() calls, or one collectMany() over all domains. */
  api: 'collect' | 'collectMany';
}

export type BulkRunner = (
  domains: string[],
  ctx: { dns: DnsClient; port: number; gate: ReturnType<typeof createConnectionGate> },
) => Promise<Observation[]>;

export function records(count: number): DnsRecord[] {
  const out: DnsRecord[] = [];
  MX_HOSTS.forEach((address, m) => {
    const name = `mx${m}.${SUFFIX}`;
    out.push(
      { name, type: 'A', address, ttl: RECORD_TTL_S },
      { name: reverseName(address), type: 'PTR', target: name, ttl: RECORD_TTL_S },
    );
  });
  for (let i = 0; i < count; i++) {
    for (const m of [i % MX_HOSTS.length, (i + 1) % MX_HOSTS.length]) {
      out.push({ name: domainName(i), type: 'MX', priority: 10, exchange: `mx${m}.${SUFFIX}`, ttl: RECORD_TTL_S });
    }
  }
  return out;
}

export const domainName = (i: number) => `d${i}.${SUFFIX}`;

/**
 * Every collect() starts at once and waits its turn at the shared gate, so a
 * domain's own deadline would count the whole queue ahead of it: the bench
 * measures throughput, not cuts, so the deadline is lifted. Loopback only:
 * no egress check.
 */
const BULK_DEADLINE_MS = Number.POSITIVE_INFINITY;

export const collectEach: BulkRunner = (domains, { dns, port, gate }) =>
  Promise.all(
    domains.map((domain) =>
      collect(
        { domain, timeout: 20 },
        { dns, port, gate, trustStore: [testCa().cert], egressCanary: [], deadlineMs: BULK_DEADLINE_MS },
      ),
    ),
  );

export const collectBatched: BulkRunner = (domains, { dns, port, gate }) =>
  collectMany(domains, { dns, port, gate, trustStore: [testCa().cert], options: { timeout: 20 }, egressCanary: [] });

export async function measureBulk(
  dnsServer: DnsServer,
  cases: BulkCase[],
  runners: Record<BulkCase['api'], BulkRunner | undefined>,
  log: (line: string) => void,
): Promise<Row[]> {
  const rows: Row[] = [];
  const largest = Math.max(...cases.map((c) => c.domains));
  dnsServer.set(...records(largest));
  const server = await startMx(UPSTREAM_HOST, 0, { suffix: SUFFIX });
  try {
    for (const c of cases) {
      const run = runners[c.api];
      if (!run) continue;
      const { port, proxies } = await startProxies(
        MX_HOSTS,
        () => ({ host: UPSTREAM_HOST, port: server.port }),
        c.oneWayMs,
      );
      try {
        const gate = createConnectionGate({ perAddress: PER_ADDRESS });
        const cache = createDnsCache();
        const dns = withDnsCache(createDnsClient({ resolver: parseResolver(dnsServer.address) }), cache);
        const queriesBefore = dnsServer.queries.length;
        const domains = Array.from({ length: c.domains }, (_, i) => domainName(i));
        const started = performance.now();
        const observations = await run(domains, { dns, port, gate });
        const wall = performance.now() - started;
        rows.push(report(c, observations, proxies, wall, dnsServer.queries.length - queriesBefore, log));
      } finally {
        for (const p of proxies) await p.close();
      }
    }
  } finally {
    await server.close();
  }
  return rows;
}

function report(
  c: BulkCase,
  observations: Observation[],
  proxies: DelayProxy[],
  wall: number,
  queries: number,
  log: (line: string) => void,
): Row {
  const endpoints = observations.flatMap((o) => o.endpoints);
  const broken = endpoints.filter((e) => e.error !== null || !e.starttls.ok).length;
  const wrong = observations.filter((o) => {
    const outcomes = o.endpoints.map((e) => e.transactions.map((t) => t.outcome).join('/'));
    const own = o.endpoints.every(
      (e) => e.transactions.find((t) => t.kind === 'postmaster')?.rcpt_to === `postmaster@${o.domain}`,
    );
    return !own || outcomes.length !== 2 || outcomes.some((x) => x !== 'accepted/accepted/rejected');
  }).length;
  const peak = Math.max(...proxies.map((p) => p.peakOpen()));
  const sessions = proxies.reduce((n, p) => n + p.connections.length, 0);
  const perMinute = (c.domains / wall) * 60_000;
  log(
    `  ${c.api}, ${c.domains} domains @${2 * c.oneWayMs} ms RTT: ${(wall / 1000).toFixed(1)} s, ${perMinute.toFixed(0)} domains/min, ` +
      `${sessions} SMTP sessions for ${endpoints.length} endpoint results, ${queries} DNS queries, peak ${peak} open per address, ${broken} broken endpoints, ${wrong} wrong domain results`,
  );
  return {
    section: 'bulk',
    metric: `${c.api}(), ${c.domains} domains @${2 * c.oneWayMs} ms RTT: domains/min (peak conns/addr)`,
    value: `${perMinute.toFixed(0)}/min (peak ${peak})`,
    target: `report; peak ≤ ${PER_ADDRESS}`,
    pass: peak <= PER_ADDRESS && broken === 0 && wrong === 0,
  };
}
