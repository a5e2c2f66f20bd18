/**
 * Section 7: the distributed batch. One private Redis (test/support), the
 * coordinator in this process (the real `batch --queue` command through
 * main()), 1, 2 and 4 worker processes (`checker-smtp worker`), against
 * many distinct MX addresses each behind a 50 ms RTT delay proxy: every
 * domain has its own MX address among 100 (127.0.2.1–100: the bench's
 * 127.0.0.200–239 slice has too few), so the run is bound by latency and by
 * the workers, not by politeness, and N workers should go N times as fast.
 * The servers speak no STARTTLS here: TLS handshakes would make the two
 * cores, not the latency, the bound (section 3 measures their cost). The
 * peers (servers, proxies, DNS) run in a child process (fleet-peers.ts).
 *
 * Figures: domains a minute from the coordinator's start to its end (all
 * lines written), relative to one worker; the most connections ever open at
 * once to one address, counted at the proxies across the fleet; and where
 * the CPU went (fleet-cpu.ts): the workers', this process's (the
 * coordinator), the peers', Redis's and the machine's, with the Redis calls
 * per domain. Then one worker's memory over 100,000 domains
 * (fleet-memory.ts). BENCH_FLEET=scaling or memory runs one half.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../src/cli/cli.js';
import { redisMissing, startRedis } from '../test/support/redis-server.js';
import { cpuSplit, cpuSplitValue, formatCpuSplit, startCpuWatch } from './fleet-cpu.js';
import { measureWorkerMemory } from './fleet-memory.js';
import { fleetDomain, startFleetPeers, type FleetPeerConfig } from './fleet-peers.js';
import { startWorkerProcess, workerArgs, type CommandProcess } from './fleet-processes.js';
import { formatRedisCommands, redisCommands } from './redis-commands.js';
import type { Row } from './table.js';

const DOMAINS = 1500;
const PEERS: Omit<FleetPeerConfig, 'oneWayMs'> = {
  suffix: 'fleet.bench.test',
  domainPrefix: 'w',
  addresses: Array.from({ length: 100 }, (_, i) => `127.0.2.${i + 1}`),
  domains: DOMAINS,
  dnsHost: '127.0.2.253',
};
const WORKER_COUNTS = [1, 2, 4];
/**
 * Domains in flight per worker, in chunks (jobs) of as many, one job at a time per worker. Two loads:
 * 10 keeps four workers latency-bound on this two-core machine (40 sessions, well under a core for the
 * fleet and its peers), where the target applies (N workers do at least 0.8 × N of one); 25
 * (four workers keep 100 sessions on 100 addresses) makes the two cores the bound from two workers
 * on: reported, with where the CPU goes.
 */
const LOADS = [
  { perWorker: 10, judged: true },
  { perWorker: 25, judged: false },
] as const;
/**
 * The coordinator's window: 40 chunks queued, running or finished and not yet written, so four workers
 * never wait for the coordinator (a finished job holds its place until the next drain, up to 250 ms).
 */
const COORDINATOR_CONCURRENCY = 1000;
/** The target while the run is latency-bound: N workers do at least 0.8 × N of one. */
const SCALING_TARGET = 0.8;

const PARTS = ['scaling', 'memory'] as const;

const sink = () => new Writable({ write: (_chunk, _enc, cb) => cb() });

export async function measureFleet(oneWayMs: number, log: (line: string) => void): Promise<Row[]> {
  const missing = redisMissing();
  if (missing.length > 0) {
    log(`  skipped: ${missing.join(', ')}`);
    return [
      {
        section: 'fleet',
        metric: 'workers over a queue',
        value: `skipped: ${missing.join(', ')}`,
        target: 'report',
        pass: null,
      },
    ];
  }
  // BENCH_FLEET=scaling (a minute or two) or memory (several minutes): one half of the section.
  const part = process.env['BENCH_FLEET'];
  if (part !== undefined && part !== '' && !(PARTS as readonly string[]).includes(part))
    throw new Error(`BENCH_FLEET must be one of ${PARTS.join(', ')} (or unset: both), got "${part}".`);
  const rows: Row[] = [];
  if (part !== 'memory') for (const load of LOADS) rows.push(...(await measureScaling(oneWayMs, load, log)));
  if (part !== 'scaling') rows.push(...(await measureWorkerMemory(log)));
  return rows;
}

async function measureScaling(
  oneWayMs: number,
  load: (typeof LOADS)[number],
  log: (line: string) => void,
): Promise<Row[]> {
  log(`  ${load.perWorker} domains in flight per worker (jobs of ${load.perWorker}):`);
  const redis = await startRedis();
  const commands = await redisCommands(redis.url);
  const dir = mkdtempSync(join(tmpdir(), 'checker-smtp-bench-fleet-'));
  const rows: Row[] = [];
  try {
    const list = join(dir, 'domains.txt');
    writeFileSync(list, `${Array.from({ length: DOMAINS }, (_, i) => fleetDomain(PEERS, i)).join('\n')}\n`);
    let single = 0;
    for (const n of WORKER_COUNTS) {
      const peers = await startFleetPeers({ ...PEERS, oneWayMs });
      const workers: CommandProcess[] = [];
      try {
        for (let w = 0; w < n; w++)
          workers.push(await startWorkerProcess(workerArgs(redis.url, peers, load.perWorker)));
        const out = join(dir, `results-${n}.jsonl`);
        const stderr: string[] = [];
        await commands.reset();
        const watch = startCpuWatch({
          workers: workers.map((w) => w.pid),
          coordinator: ['self'],
          peers: [peers.pid],
          redis: [redis.daemon.child.pid!],
        });
        const code = await main(
          [
            'batch',
            list,
            '--queue',
            redis.url,
            '--out',
            out,
            '--concurrency',
            String(COORDINATOR_CONCURRENCY),
            '--chunk',
            String(load.perWorker),
            '--timeout',
            '20',
          ],
          { stdout: sink(), stderr: new Writable({ write: (c, _e, cb) => (stderr.push(String(c)), cb()) }) } as never,
        );
        const cpu = cpuSplit(watch.stop(), DOMAINS);
        const wall = cpu.use.wallMs;
        const calls = await commands.read();
        const lines = readFileSync(out, 'utf8').trim().split('\n');
        const wrong = lines.filter((l) => !l.includes('"reachable":1')).length;
        const perMinute = (DOMAINS / wall) * 60_000;
        if (n === 1) single = perMinute;
        const { peak, sessions } = await peers.stats();
        const scale = perMinute / single;
        const workersLabel = `${n} worker${n === 1 ? '' : 's'}`;
        log(
          `  ${workersLabel}: ${DOMAINS} domains in ${(wall / 1000).toFixed(1)} s, ${perMinute.toFixed(0)} domains/min ` +
            `(× ${scale.toFixed(2)} of one worker), ${lines.length} lines, ${wrong} wrong, exit ${code}, peak ${peak} open per address, ` +
            `${sessions} SMTP sessions`,
        );
        log(`    CPU: ${formatCpuSplit(cpu)}`);
        log(`    Redis calls per domain: ${formatRedisCommands(calls, DOMAINS, 8)}`);
        if (code !== 0) log(stderr.join(''));
        rows.push(
          {
            section: 'fleet',
            metric: `${n} worker process${n === 1 ? '' : 'es'} × ${load.perWorker} in flight @${2 * oneWayMs} ms RTT, ${PEERS.addresses.length} MX addresses: domains/min (× one worker; peak conns/addr)`,
            value: `${perMinute.toFixed(0)}/min (× ${scale.toFixed(2)}; peak ${peak})`,
            target:
              n === 1
                ? 'report; peak ≤ 1'
                : load.judged
                  ? `≥ ${(SCALING_TARGET * n).toFixed(1)}; peak ≤ 1`
                  : 'report (CPU-bound here); peak ≤ 1',
            pass:
              code === 0 &&
              wrong === 0 &&
              lines.length === DOMAINS &&
              peak !== null &&
              peak <= 1 &&
              (n === 1 || !load.judged || scale >= SCALING_TARGET * n),
          },
          {
            section: 'fleet',
            metric: `  ${workersLabel} × ${load.perWorker}: CPU ms per domain (machine busy, ${cpu.cores} cores)`,
            value: cpuSplitValue(cpu),
            target: 'report',
            pass: null,
          },
        );
      } finally {
        for (const w of workers) w.child.kill('SIGKILL');
        await Promise.all(workers.map((w) => w.exited));
        await peers.stop();
      }
    }
  } finally {
    commands.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
