/**
 * `npm run bench`: what a check costs, measured on loopback against real
 * peers (the test servers) behind a userspace delay proxy. Prints the
 * machine, a log of each measurement, and one table with targets.
 */
import { startDnsServer } from '../test/peers/dns-server.js';
import { benchAddress } from './bench-peers.js';
import { collectBatched, collectEach, measureBulk, type BulkCase } from './bulk.js';
import { measureCaps } from './caps.js';
import { measureBatch } from './batch.js';
import { measureFleet } from './fleet.js';
import { measureCost } from './cost.js';
import { measureFlights } from './flights.js';
import { ONE_WAY_MS, measureLatency } from './latency.js';
import { measureServiceLoad } from './service-load.js';
import { formatTable, machineDescription, type Row } from './table.js';

const log = (line: string) => console.log(line);

/** Per-domain collect() at 50 ms RTT costs ~6 round trips per probe per address in turn: 100 domains keep it under a minute. */
const BULK_CASES: BulkCase[] = [
  { api: 'collect', domains: 100, oneWayMs: 0 },
  { api: 'collect', domains: 1000, oneWayMs: 0 },
  { api: 'collect', domains: 100, oneWayMs: ONE_WAY_MS },
  { api: 'collectMany', domains: 100, oneWayMs: 0 },
  { api: 'collectMany', domains: 1000, oneWayMs: 0 },
  { api: 'collectMany', domains: 100, oneWayMs: ONE_WAY_MS },
  { api: 'collectMany', domains: 1000, oneWayMs: ONE_WAY_MS },
];

/** `BENCH_ONLY=5` or `BENCH_ONLY=4,5`: run those sections alone (while working on one); all by default. */
function selectedSections(spec: string | undefined, count: number): Set<number> {
  const all = Array.from({ length: count }, (_, i) => i + 1);
  if (spec === undefined || spec.trim() === '') return new Set(all);
  const picked = spec.split(',').map((s) => Number(s.trim()));
  const bad = picked.find((n) => !all.includes(n));
  if (bad !== undefined) throw new Error(`BENCH_ONLY must list section numbers from 1 to ${count}, got "${spec}".`);
  return new Set(picked);
}

async function main(): Promise<void> {
  const started = Date.now();
  log('checker-smtp benchmark (loopback only, 127.0.0.200–239 and 127.70.0.0/16)');
  for (const line of machineDescription()) log(`  ${line}`);
  const dns = await startDnsServer([], { host: benchAddress(0) });
  const rows: Row[] = [];
  const sections: [title: string, run: () => Promise<Row[]>][] = [
    ['Client flights per endpoint probe (counted at the proxy, server side)', () => measureFlights(dns, log)],
    [
      `Domain wall time at ${2 * ONE_WAY_MS} ms RTT (3 MX × 2 addresses, 6 distinct 127.0.0.x: ::1 is one address)`,
      () => measureLatency(dns, log),
    ],
    ['Cost per probe (servers in a child process)', () => measureCost(log)],
    [
      'Bulk throughput: domains sharing 4 MX addresses, one connection per address at a time',
      () => measureBulk(dns, BULK_CASES, { collect: collectEach, collectMany: collectBatched }, log),
    ],
    ['Bounded work per check and fair sharing (127.70.0.0/16)', () => measureCaps(dns, log)],
    [
      'checker-smtp batch: the engine at the politeness bound, and memory over a large list',
      () => measureBatch(dns, [0, ONE_WAY_MS], log),
    ],
    [
      `Distributed batch: 1, 2 and 4 worker processes over Redis at ${2 * ONE_WAY_MS} ms RTT, 100 distinct MX addresses, where the CPU goes; one worker over 100,000 domains`,
      () => measureFleet(ONE_WAY_MS, log),
    ],
  ];
  // The last section, the web service, runs after the shared DNS server is closed (its peers are its own).
  const serviceSection = sections.length + 1;
  const only = selectedSections(process.env['BENCH_ONLY'], serviceSection);
  try {
    for (const [i, [title, run]] of sections.entries()) {
      if (!only.has(i + 1)) continue;
      log(`\n${i + 1}. ${title}`);
      rows.push(...(await run()));
    }
  } finally {
    await dns.close();
  }
  if (only.has(serviceSection)) {
    log(
      `\n${serviceSection}. The web service under load: large checks, then slow bodies (serve and its peers in child processes)`,
    );
    rows.push(...(await measureServiceLoad(log)));
  }
  log(`\nResults (${((Date.now() - started) / 1000).toFixed(0)} s):\n`);
  log(formatTable(rows));
  if (rows.some((r) => r.pass === false)) process.exitCode = 1;
}

await main();
