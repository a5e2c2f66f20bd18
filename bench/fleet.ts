/**
 * Section 6: the distributed batch. One private Redis (test/support), the
 * coordinator in this process (the real `batch --queue` command through
 * main()), 1, 2 and 4 worker processes (`checker-smtp worker`), against
 * many distinct MX addresses each behind a 50 ms RTT delay proxy: every
 * domain has its own MX address among 100 (127.0.2.1–100: the bench's
 * 127.0.0.200–239 slice has too few), so the run is bound by latency and by
 * the workers, not by politeness, and N workers should go N times as fast.
 * The servers speak no STARTTLS here: TLS handshakes would make the two
 * cores, not the latency, the bound (section 3 measures their cost).
 *
 * Figures: domains a minute from the coordinator's start to its end (all
 * lines written), relative to one worker; the most connections ever open at
 * once to one address, counted at the proxies across the fleet.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { main } from '../src/cli/cli.js';
import type { DnsRecord } from '../test/peers/dns-records.js';
import type { DnsServer } from '../test/peers/dns-server.js';
import { redisMissing, startRedis } from '../test/support/redis-server.js';
import { UPSTREAM_HOST, startMx, startProxies } from './bench-peers.js';
import type { Row } from './table.js';

const ADDRESSES = Array.from({ length: 100 }, (_, i) => `127.0.2.${i + 1}`);
const SUFFIX = 'fleet.bench.test';
const DOMAINS = 1500;
const WORKER_COUNTS = [1, 2, 4];
/** Domains in flight per worker: one chunk of 25, so four workers keep 100 sessions on 100 addresses. */
const WORKER_CONCURRENCY = 25;
/** Chunks (jobs) of 25: one job at a time per worker, four workers on four quarters of the addresses. */
const CHUNK = 25;
/**
 * The coordinator's window: 40 chunks queued, running or finished and not yet written, so four workers
 * never wait for the coordinator (a finished job holds its place until the next drain, up to 250 ms).
 */
const COORDINATOR_CONCURRENCY = 1000;
/** The target while the run is latency-bound: N workers do at least 0.8 × N of one. */
const SCALING_TARGET = 0.8;
const RECORD_TTL_S = 3600;

const domainName = (i: number) => `w${i}.${SUFFIX}`;

function records(): DnsRecord[] {
  const out: DnsRecord[] = [];
  ADDRESSES.forEach((address, m) => {
    out.push({ name: `mx${m}.${SUFFIX}`, type: 'A', address, ttl: RECORD_TTL_S });
    const [a, b, c, d] = address.split('.');
    out.push({ name: `${d}.${c}.${b}.${a}.in-addr.arpa`, type: 'PTR', target: `mx${m}.${SUFFIX}`, ttl: RECORD_TTL_S });
  });
  for (let i = 0; i < DOMAINS; i++)
    out.push({
      name: domainName(i),
      type: 'MX',
      priority: 10,
      exchange: `mx${i % ADDRESSES.length}.${SUFFIX}`,
      ttl: RECORD_TTL_S,
    });
  return out;
}

const sink = () => new Writable({ write: (_chunk, _enc, cb) => cb() });

async function startWorker(args: string[]): Promise<ChildProcess> {
  const mainTs = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', mainTs, 'worker', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let said = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (b: Buffer) => {
      said += b.toString();
      if (said.includes('Worker on ')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${said}`)));
  });
  return child;
}

export async function measureFleet(
  dnsServer: DnsServer,
  oneWayMs: number,
  log: (line: string) => void,
): Promise<Row[]> {
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
  dnsServer.set(...records());
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'checker-smtp-bench-fleet-'));
  const server = await startMx(UPSTREAM_HOST, 0, {
    suffix: SUFFIX,
    extensions: ['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES'],
  });
  const rows: Row[] = [];
  try {
    const list = join(dir, 'domains.txt');
    writeFileSync(list, `${Array.from({ length: DOMAINS }, (_, i) => domainName(i)).join('\n')}\n`);
    let single = 0;
    for (const n of WORKER_COUNTS) {
      const { port, proxies } = await startProxies(
        ADDRESSES,
        () => ({ host: UPSTREAM_HOST, port: server.port }),
        oneWayMs,
      );
      const workers: ChildProcess[] = [];
      try {
        for (let w = 0; w < n; w++)
          workers.push(
            await startWorker([
              '--queue',
              redis.url,
              '--resolver',
              dnsServer.address,
              '--port',
              String(port),
              '--egress-canary',
              'none',
              '--concurrency',
              String(WORKER_CONCURRENCY),
            ]),
          );
        const out = join(dir, `results-${n}.jsonl`);
        const stderr: string[] = [];
        const started = performance.now();
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
            String(CHUNK),
            '--timeout',
            '20',
          ],
          { stdout: sink(), stderr: new Writable({ write: (c, _e, cb) => (stderr.push(String(c)), cb()) }) } as never,
        );
        const wall = performance.now() - started;
        const lines = readFileSync(out, 'utf8').trim().split('\n');
        const wrong = lines.filter((l) => !l.includes('"reachable":1')).length;
        const perMinute = (DOMAINS / wall) * 60_000;
        if (n === 1) single = perMinute;
        const peak = Math.max(...proxies.map((p) => p.peakOpen()));
        const scale = perMinute / single;
        log(
          `  ${n} worker${n === 1 ? '' : 's'}: ${DOMAINS} domains in ${(wall / 1000).toFixed(1)} s, ${perMinute.toFixed(0)} domains/min ` +
            `(× ${scale.toFixed(2)} of one worker), ${lines.length} lines, ${wrong} wrong, exit ${code}, peak ${peak} open per address`,
        );
        if (code !== 0) log(stderr.join(''));
        rows.push({
          section: 'fleet',
          metric: `${n} worker process${n === 1 ? '' : 'es'} @${2 * oneWayMs} ms RTT, ${ADDRESSES.length} MX addresses: domains/min (× one worker; peak conns/addr)`,
          value: `${perMinute.toFixed(0)}/min (× ${scale.toFixed(2)}; peak ${peak})`,
          target: n === 1 ? 'report; peak ≤ 1' : `≥ ${(SCALING_TARGET * n).toFixed(1)}; peak ≤ 1`,
          pass:
            code === 0 &&
            wrong === 0 &&
            lines.length === DOMAINS &&
            peak <= 1 &&
            (n === 1 || scale >= SCALING_TARGET * n),
        });
      } finally {
        for (const w of workers) w.kill('SIGKILL');
        for (const p of proxies) await p.close();
      }
    }
  } finally {
    await server.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
