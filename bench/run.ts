/**
 * `npm run bench`: what a check costs, measured on loopback against real
 * peers (the test servers) behind a userspace delay proxy. Prints the
 * machine, a log of each measurement, and one table with targets.
 */
import { startDnsServer } from '../test/peers/dns-server.js';
import { benchAddress } from './bench-peers.js';
import { collectBatched, collectEach, measureBulk, type BulkCase } from './bulk.js';
import { measureBatch } from './batch.js';
import { measureCost } from './cost.js';
import { measureFlights } from './flights.js';
import { ONE_WAY_MS, measureLatency } from './latency.js';
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

async function main(): Promise<void> {
  const started = Date.now();
  log('checker-smtp benchmark (loopback only, 127.0.0.200–239)');
  for (const line of machineDescription()) log(`  ${line}`);
  const dns = await startDnsServer([], { host: benchAddress(0) });
  const rows: Row[] = [];
  try {
    log('\n1. Client flights per endpoint probe (counted at the proxy, server side)');
    rows.push(...(await measureFlights(dns, log)));
    log(
      `\n2. Domain wall time at ${2 * ONE_WAY_MS} ms RTT (3 MX × 2 addresses, 6 distinct 127.0.0.x: ::1 is one address)`,
    );
    rows.push(...(await measureLatency(dns, log)));
    log('\n3. Cost per probe (servers in a child process)');
    rows.push(...(await measureCost(log)));
    log('\n4. Bulk throughput: domains sharing 4 MX addresses, one connection per address at a time');
    rows.push(...(await measureBulk(dns, BULK_CASES, { collect: collectEach, collectMany: collectBatched }, log)));
    log('\n5. checker-smtp batch: the engine at the politeness bound, and memory over a large list');
    rows.push(...(await measureBatch(dns, ONE_WAY_MS, log)));
  } finally {
    await dns.close();
  }
  log(`\nResults (${((Date.now() - started) / 1000).toFixed(0)} s):\n`);
  log(formatTable(rows));
  if (rows.some((r) => r.pass === false)) process.exitCode = 1;
}

await main();
