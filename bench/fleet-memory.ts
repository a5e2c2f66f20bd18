/**
 * Section 7, memory: one `checker-smtp worker` over a 100,000-domain list,
 * its RSS read from /proc at 10 %, 50 % and 100 % of the lines, with V8's
 * old space capped as section 6 caps the batch command's, so that garbage
 * V8 has not bothered to collect cannot pass for a working set: a worker
 * that kept something per domain or per job would die of it or show it.
 *
 * As fast as the worker path allows on two cores: no delay (0 ms RTT), no
 * STARTTLS, few MX addresses so that the domains of a job share sessions
 * (five a session), jobs of 100 domains. The coordinator is a child process
 * too, so that a worker dying mid-run stops the run instead of leaving the
 * coordinator waiting for ever.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { BATCH_CHUNK_DOMAINS } from '../src/model/fleet-limits.js';
import { DOMAINS_PER_SESSION } from '../src/model/limits.js';
import { startRedis } from '../test/support/redis-server.js';
import { cpuSplit, cpuSplitValue, formatCpuSplit, startCpuWatch } from './fleet-cpu.js';
import { fleetDomain, startFleetPeers, type FleetPeerConfig } from './fleet-peers.js';
import { startCoordinatorProcess, startWorkerProcess, workerArgs } from './fleet-processes.js';
import { rssOf } from './proc-stat.js';
import type { Row } from './table.js';

const MEMORY_DOMAINS = 100_000;
/**
 * MX addresses of the run: each domain's MX is one of them, so a job of 100 domains has 10 on each
 * address, two sessions of five; more addresses would only add sessions that wait for the same two cores.
 */
const MEMORY_ADDRESSES = Array.from({ length: 10 }, (_, i) => `127.0.2.${101 + i}`);
const PEERS: Omit<FleetPeerConfig, 'domains'> = {
  suffix: 'fleet-mem.bench.test',
  domainPrefix: 'm',
  addresses: MEMORY_ADDRESSES,
  oneWayMs: null,
  dnsHost: '127.0.2.254',
};
/**
 * The worker's old space, capped. Not section 6's 64 MiB: a worker starts with 30 MiB of heap (the
 * libraries' code and source text: BullMQ, ioredis, msgpackr…, under tsx) and works at about 40, and
 * V8 collects in full whenever the old space reaches halfway from the live size to the cap; at 64 MiB
 * that is every 100 ms, the worker's main thread spent 46 % of its busy time collecting (8.1–9.2 ms of
 * CPU a domain instead of 2.0, measured), and the run would measure the collector. At 96 MiB the worker
 * costs what it costs uncapped, and a working set that grew by 55 MiB would still end the run out of
 * memory.
 */
const MEMORY_HEAP_CAP_MIB = 96;
/** The worker's domains in flight: the default (four jobs of 100), as a deployment runs it. */
const WORKER_CONCURRENCY = 400;
/** RSS sampling interval of the worker. */
const RSS_SAMPLE_MS = 200;
/** Section 6's rule: once the caches are full and the heap has its working size, RSS stays within 10 %. */
const RSS_GROWTH_TARGET = 1.1;
const MARKS = [0.1, 0.5, 1];
const MIB = 2 ** 20;

/** The heap's size after each of a V8 process's full collections, from its --trace-gc lines. */
function followFullCollections(stdout: Readable) {
  let live: number | null = null;
  let count = 0;
  createInterface({ input: stdout }).on('line', (line) => {
    // "[pid:0x…]  12345 ms: Mark-Compact 35.0 (76.4) -> 33.6 (76.4) MB, …": the size after the arrow.
    const m = /Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/.exec(line);
    if (!m) return;
    live = Number(m[1]);
    count++;
  });
  return { live: () => live, count: () => count };
}

export async function measureWorkerMemory(log: (line: string) => void): Promise<Row[]> {
  const redis = await startRedis();
  const peers = await startFleetPeers({ ...PEERS, domains: MEMORY_DOMAINS });
  const dir = mkdtempSync(join(tmpdir(), 'checker-smtp-bench-fleet-mem-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const list = join(dir, 'domains.txt');
    writeFileSync(list, `${Array.from({ length: MEMORY_DOMAINS }, (_, i) => fleetDomain(PEERS, i)).join('\n')}\n`);
    const worker = await startWorkerProcess(
      workerArgs(redis.url, peers, WORKER_CONCURRENCY),
      // --trace-gc: each full collection's live size, on the worker's otherwise silent stdout.
      { nodeFlags: [`--max-old-space-size=${MEMORY_HEAP_CAP_MIB}`, '--trace-gc'], stdout: 'pipe' },
    );
    const heap = followFullCollections(worker.child.stdout!);
    cleanups.push(async () => {
      worker.child.kill('SIGKILL');
      await worker.exited;
    });
    const watch = startCpuWatch({ workers: [worker.pid], peers: [peers.pid], redis: [redis.daemon.child.pid!] });
    const started = performance.now();
    const coordinator = startCoordinatorProcess(
      [list, '--queue', redis.url, '--chunk', String(BATCH_CHUNK_DOMAINS), '--timeout', '20'],
      '"reachable":1',
    );
    cleanups.push(async () => {
      coordinator.child.kill('SIGKILL');
      await coordinator.exited;
    });
    watch.add('coordinator', coordinator.pid);

    const at: (number | null)[] = MARKS.map(() => null);
    const liveAt: (number | null)[] = MARKS.map(() => null);
    let peak = 0;
    let last: number | null = null;
    const sample = () => {
      const rss = rssOf(worker.pid);
      if (rss === null) return;
      last = rss;
      peak = Math.max(peak, rss);
      MARKS.forEach((m, i) => {
        if (at[i] !== null || coordinator.lines() < m * MEMORY_DOMAINS) return;
        at[i] = rss;
        liveAt[i] = heap.live();
        log(
          `    ${(m * 100).toFixed(0)} %: ${coordinator.lines().toLocaleString('en-US')} lines after ${((performance.now() - started) / 1000).toFixed(0)} s, ` +
            `worker RSS ${(rss / MIB).toFixed(0)} MiB, live heap ${liveAt[i]?.toFixed(1) ?? '?'} MB after its last full GC (${heap.count()} so far)`,
        );
      });
    };
    const timer = setInterval(sample, RSS_SAMPLE_MS);
    // The run ends when the coordinator does; a worker that dies first ends it too (nobody would take the jobs).
    const end = await Promise.race([
      coordinator.exited.then((code) => ({ who: 'coordinator', code })),
      worker.exited.then((code) => ({ who: 'worker', code })),
    ]);
    sample();
    clearInterval(timer);
    const wall = performance.now() - started;
    const cpu = cpuSplit(watch.stop(), coordinator.lines());
    if (at[2] === null && coordinator.lines() === MEMORY_DOMAINS) {
      at[2] = last;
      liveAt[2] = heap.live();
    }
    const stats = await peers.stats();
    const [p10, p50, p100] = at.map((v) => (v === null ? NaN : v / MIB));
    const growth = p100! / p50!;
    const workerDied = end.who === 'worker';
    const perMinute = (coordinator.lines() / wall) * 60_000;
    log(
      `  1 worker (old space ≤ ${MEMORY_HEAP_CAP_MIB} MiB), ${MEMORY_DOMAINS.toLocaleString('en-US')} domains on ${MEMORY_ADDRESSES.length} MX addresses @0 ms RTT, jobs of ${BATCH_CHUNK_DOMAINS}: ` +
        `${(wall / 1000).toFixed(0)} s, ${perMinute.toFixed(0)} domains/min, ${coordinator.lines()} lines, ${coordinator.wrong()} wrong, ` +
        `${end.who} exited first (${end.code}); ${stats.sessions} SMTP sessions (${(coordinator.lines() / stats.sessions).toFixed(1)} domains each), ${stats.dnsQueries} DNS queries; ` +
        `worker RSS ${p10!.toFixed(0)} / ${p50!.toFixed(0)} / ${p100!.toFixed(0)} MiB at 10 / 50 / 100 %, peak ${(peak / MIB).toFixed(0)} MiB; ` +
        `live heap after full GC ${liveAt.map((v) => v?.toFixed(1) ?? '?').join(' / ')} MB (${heap.count()} full GCs)`,
    );
    log(`    CPU: ${formatCpuSplit(cpu)}`);
    for (const line of coordinator.wrongLines()) log(`    wrong: ${line}`);
    if (workerDied || end.code !== 0)
      log(`    worker said: ${worker.stderr()}\n    coordinator said: ${coordinator.stderr()}`);
    return [
      {
        section: 'fleet',
        metric: `1 worker, ${MEMORY_DOMAINS.toLocaleString('en-US')} domains, old space ≤ ${MEMORY_HEAP_CAP_MIB} MiB: RSS at 10 / 50 / 100 % (peak)`,
        value: `${p10!.toFixed(0)} / ${p50!.toFixed(0)} / ${p100!.toFixed(0)} MiB (${(peak / MIB).toFixed(0)}; ${perMinute.toFixed(0)}/min)`,
        target: `100 % ≤ ${RSS_GROWTH_TARGET} × 50 %`,
        pass:
          !workerDied &&
          end.code === 0 &&
          coordinator.lines() === MEMORY_DOMAINS &&
          coordinator.wrong() === 0 &&
          growth <= RSS_GROWTH_TARGET,
      },
      {
        section: 'fleet',
        metric: '  the same worker: heap after its last full GC at 10 / 50 / 100 % (full GCs)',
        value: `${liveAt.map((v) => v?.toFixed(1) ?? '?').join(' / ')} MB (${heap.count()})`,
        target: 'report',
        pass: null,
      },
      {
        section: 'fleet',
        metric: `  the same run (@0 ms RTT, ${DOMAINS_PER_SESSION} domains a session): CPU ms per domain (machine busy, ${cpu.cores} cores)`,
        value: cpuSplitValue(cpu),
        target: 'report',
        pass: null,
      },
    ];
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await peers.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
