/**
 * Section 5: bounded work per check, and fair sharing. (a) The largest check
 * the caps allow: a zone of 32 MX names × 64 addresses, every address of the
 * 10 probed names a counting proxy in front of one healthy MX: connections
 * opened and wall time at 0 ms RTT. (b) An unrelated check's latency through
 * the service while 16 checks of all-tarpit domains (accept, never greet)
 * occupy the connection gate: p50 and p99 over repeated runs.
 *
 * Loopback only: this section uses 127.70.0.0/16 (the zone's and the
 * tarpits' addresses) besides the bench's 127.0.0.200–239.
 */
import { collect } from '../src/collect/collect.js';
import { createDnsClient } from '../src/collect/dns/dns-client.js';
import { parseResolver } from '../src/config/settings.js';
import { resolveServiceSettings } from '../src/config/service-settings.js';
import { DEFAULT_MAX_ENDPOINTS, MAX_MX_TARGETS } from '../src/model/limits.js';
import { buildApp } from '../src/server/app.js';
import { testCa } from '../test/peers/certs.js';
import type { DnsRecord } from '../test/peers/dns-records.js';
import type { DnsServer } from '../test/peers/dns-server.js';
import { startCountingPeers } from '../test/hostile-client/collect-peers.js';
import { UPSTREAM_HOST, startMx, startProxies } from './bench-peers.js';
import type { Row } from './table.js';

const ZONE = 'caps.bench.test';
const MX_NAMES = 32;
const ADDRESSES_PER_MX = 64;
const mxName = (k: number) => `mx${k}.${ZONE}`;
const zoneAddress = (k: number, i: number) => `127.70.${k}.${i + 1}`;
/** The tarpit checks: 16 domains of 32 addresses each, as in issue 12's starvation report. */
const TARPIT_CHECKS = 16;
const TARPITS_EACH = 32;
const tarpitDomain = (r: number) => `tarpit${r}.${ZONE}`;
const tarpitAddress = (r: number, i: number) => `127.70.${100 + r}.${i + 1}`;
const UNRELATED = { domain: `unrelated.${ZONE}`, address: '127.70.200.1' };
/** Unrelated checks measured while the tarpits hold the gate. */
const UNRELATED_RUNS = 40;
/** The tarpit checks' endpoint budget: longer than the measurement, so the gate stays occupied throughout. */
const TARPIT_BUDGET_S = 30;
/** Target: an unrelated check beside the tarpits stays interactive (issue 12 saw 27 s). */
const UNRELATED_P99_TARGET_MS = 1000;

function zoneRecords(): DnsRecord[] {
  const out: DnsRecord[] = [];
  for (let k = 1; k <= MX_NAMES; k++) {
    out.push({ name: ZONE, type: 'MX', priority: k * 10, exchange: mxName(k) });
    for (let i = 0; i < ADDRESSES_PER_MX; i++) out.push({ name: mxName(k), type: 'A', address: zoneAddress(k, i) });
  }
  for (let r = 1; r <= TARPIT_CHECKS; r++) {
    out.push({ name: tarpitDomain(r), type: 'MX', priority: 10, exchange: `mx.${tarpitDomain(r)}` });
    for (let i = 0; i < TARPITS_EACH; i++)
      out.push({ name: `mx.${tarpitDomain(r)}`, type: 'A', address: tarpitAddress(r, i) });
  }
  out.push(
    { name: UNRELATED.domain, type: 'MX', priority: 10, exchange: `mx.${UNRELATED.domain}` },
    { name: `mx.${UNRELATED.domain}`, type: 'A', address: UNRELATED.address },
  );
  return out;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function measureCaps(dns: DnsServer, log: (line: string) => void): Promise<Row[]> {
  dns.add(...zoneRecords());
  const rows: Row[] = [];
  const server = await startMx(UPSTREAM_HOST, 0, { suffix: ZONE });
  try {
    // (a) The largest check: 640 addresses behind the 10 probed names, each a counting proxy.
    const probedHosts: string[] = [];
    for (let k = 1; k <= MAX_MX_TARGETS; k++)
      for (let i = 0; i < ADDRESSES_PER_MX; i++) probedHosts.push(zoneAddress(k, i));
    const { port, proxies } = await startProxies(probedHosts, () => ({ host: UPSTREAM_HOST, port: server.port }), 0);
    try {
      const started = performance.now();
      const obs = await collect(
        { domain: ZONE, timeout: 20 },
        { resolver: parseResolver(dns.address), port, trustStore: [testCa().cert], egressCanary: [] },
      );
      const wall = performance.now() - started;
      const connections = proxies.reduce((n, p) => n + p.connections.length, 0);
      const probed = obs.endpoints.filter((e) => e.error?.code !== 'policy.capped');
      const healthy = probed.filter((e) => e.error === null && e.starttls.ok).length;
      log(
        `  ${MX_NAMES} MX × ${ADDRESSES_PER_MX} A (${MX_NAMES * ADDRESSES_PER_MX} addresses): ${connections} connections, ` +
          `${probed.length} endpoints probed (${healthy} in full), ${obs.caps.endpoints_over_cap} over the cap, ` +
          `${obs.dns.mx_not_probed.length} MX names not looked up, ${wall.toFixed(0)} ms`,
      );
      rows.push({
        section: 'caps',
        metric: `largest check: ${MX_NAMES} MX × ${ADDRESSES_PER_MX} A @0 ms RTT: connections (wall)`,
        value: `${connections} (${wall.toFixed(0)} ms)`,
        target: `≤ ${DEFAULT_MAX_ENDPOINTS}; wall report`,
        pass: connections <= DEFAULT_MAX_ENDPOINTS && healthy === probed.length,
      });
    } finally {
      for (const p of proxies) await p.close();
    }

    // (b) Fairness: an unrelated check through the service while tarpit checks occupy the gate.
    const tarpitHosts: string[] = [];
    for (let r = 1; r <= TARPIT_CHECKS; r++)
      for (let i = 0; i < TARPITS_EACH; i++) tarpitHosts.push(tarpitAddress(r, i));
    const tarpits = await startCountingPeers(tarpitHosts, 'tarpit');
    const unrelated = await startMx(UNRELATED.address, tarpits.port, { suffix: ZONE });
    const app = await buildApp({
      settings: resolveServiceSettings(
        { port: String(tarpits.port), egressCanary: 'none', allowPrivateTargets: true },
        {},
      ),
      dns: createDnsClient({ resolver: parseResolver(dns.address) }),
      trustStore: [testCa().cert],
    });
    const check = (domain: string, client: string, timeout: number) =>
      app.inject({
        method: 'POST',
        url: '/collect',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ options: { domain, timeout } }),
        remoteAddress: client,
      });
    try {
      const hogs = Array.from({ length: TARPIT_CHECKS }, (_, r) =>
        check(tarpitDomain(r + 1), `127.70.250.${r + 1}`, TARPIT_BUDGET_S),
      );
      const filled = Date.now();
      while (tarpits.open() < 200 && Date.now() - filled < 10_000) await new Promise((r) => setTimeout(r, 20));
      const held = tarpits.open();
      const latencies: number[] = [];
      let failed = 0;
      for (let i = 0; i < UNRELATED_RUNS; i++) {
        const started = performance.now();
        const res = await check(UNRELATED.domain, '127.70.250.200', 10);
        latencies.push(performance.now() - started);
        const ok = res.statusCode === 200 && res.json().data.endpoints[0]?.starttls.ok === true;
        if (!ok) failed++;
      }
      const stillHeld = tarpits.open();
      // End the tarpits' hold: every probe of theirs meets a 554 from here on, and the hog checks answer.
      tarpits.release();
      await Promise.all(hogs);
      latencies.sort((a, b) => a - b);
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      log(
        `  unrelated check beside ${TARPIT_CHECKS} tarpit checks (${held} tarpit connections held, ${stillHeld} at the end): ` +
          `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms over ${UNRELATED_RUNS} runs, ${failed} not probed in full`,
      );
      rows.push({
        section: 'caps',
        metric: `unrelated check beside ${TARPIT_CHECKS} tarpit checks (${held} slots held): p50 / p99`,
        value: `${p50.toFixed(0)} / ${p99.toFixed(0)} ms`,
        target: `p99 ≤ ${UNRELATED_P99_TARGET_MS} ms`,
        pass: p99 <= UNRELATED_P99_TARGET_MS && failed === 0 && stillHeld >= held,
      });
    } finally {
      await app.close();
      await unrelated.close();
      await tarpits.close();
    }
  } finally {
    await server.close();
  }
  return rows;
}
