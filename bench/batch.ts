/**
 * Section 5: `checker-smtp batch`.
 *
 * Throughput: the batch engine in process (the domain list read from a
 * file, chunks through checkChunk → collectMany with one gate and one DNS
 * cache, lines written to a file) over the bulk section's setup: domains
 * sharing 4 MX addresses, each behind a 50 ms RTT delay proxy, one
 * connection per address. Reported as a fraction of the politeness bound:
 * addresses × domains per session ÷ session time ÷ endpoints per domain
 * (the most domains a minute that one connection per address allows, with
 * the session time measured at the proxies during the same run).
 *
 * Memory: the real command as a child process over 100,000 domains (null
 * MX, every tenth NXDOMAIN: a DNS answer each, no SMTP), its old space
 * capped, its RSS read from /proc at 10 %, 50 % and 100 % of the lines,
 * output to a pipe.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnectionGate } from '../src/collect/connection-gate.js';
import { createDnsCache, withDnsCache } from '../src/collect/dns/dns-cache.js';
import { createDnsClient } from '../src/collect/dns/dns-client.js';
import { parseResolver } from '../src/config/settings.js';
import { openFileOutput } from '../src/fleet/batch-output.js';
import { checkChunk, type ChunkSettings } from '../src/fleet/check-chunk.js';
import { readDomains } from '../src/fleet/domain-source.js';
import { createResultSink } from '../src/fleet/result-sink.js';
import { runBatchLoop } from '../src/fleet/run-batch.js';
import type { BatchLine } from '../src/model/batch-line.js';
import { BATCH_CHUNK_DOMAINS, BATCH_DEFAULT_CONCURRENCY } from '../src/model/fleet-limits.js';
import { DOMAINS_PER_SESSION } from '../src/model/limits.js';
import { testCa } from '../test/peers/certs.js';
import type { DnsServer } from '../test/peers/dns-server.js';
import { UPSTREAM_HOST, startMx, startProxies } from './bench-peers.js';
import { MX_HOSTS, SUFFIX, collectBatched, domainName, records } from './bulk.js';
import type { Row } from './table.js';

/** Domains of the throughput run: 30 s at the bound, long enough that start and end are a small part. */
const THROUGHPUT_DOMAINS = 1000;
/** Each bench domain has two of the four MX addresses: two endpoint results per domain. */
const ENDPOINTS_PER_DOMAIN = 2;
/** The target: batch keeps the shared addresses busy, at ≥ 90 % of what politeness allows. */
const BOUND_FRACTION_TARGET = 0.9;

/** Domains of the memory run: a large list that still runs in a couple of minutes (no SMTP). */
const MEMORY_DOMAINS = 100_000;
/** Every n-th domain of the memory run does not exist (NXDOMAIN); the others publish a null MX. */
const NXDOMAIN_EVERY = 10;
const MEMORY_SUFFIX = 'mem.bench.test';
/**
 * V8's old space of the child, capped: uncapped, V8 lets garbage pile up to its default limit before it
 * collects in earnest (205 → 259 → 345 MiB at 10 / 50 / 100 % of the list, measured), which hides whether the
 * working set grows. Capped, a working set that grew would end the run out of memory, or show in RSS.
 */
const MEMORY_HEAP_CAP_MIB = 64;
/** RSS sampling interval of the child. */
const RSS_SAMPLE_MS = 200;
/**
 * RSS may grow this much from 50 % to 100 % of the list: once the DNS cache is full (10,000 answers) and
 * the heap has grown to its working size, only the name set grows (~37 B a domain: 1.9 MB for 50,000).
 */
const RSS_GROWTH_TARGET = 1.1;

/**
 * At 0 ms RTT a session is CPU time on this machine's two cores (checker, servers and proxies together):
 * the figure is reported, not held to the bound. With latency the run waits on the wire and must fill it.
 */
export async function measureBatch(
  dnsServer: DnsServer,
  oneWayMs: readonly number[],
  log: (line: string) => void,
): Promise<Row[]> {
  const rows: Row[] = [];
  // BENCH_BATCH=memory (or throughput): one half of the section, while working on it.
  const part = process.env['BENCH_BATCH'];
  if (part === 'memory') return measureMemory(dnsServer, log);
  for (const delay of oneWayMs) {
    rows.push(await measureThroughput(dnsServer, delay, log));
    rows.push(await measureReference(dnsServer, delay, log));
  }
  if (process.env['BENCH_BATCH_DEBUG'] || part === 'throughput') return rows;
  return [...rows, ...(await measureMemory(dnsServer, log))];
}

/**
 * Mean session time at the proxies, and the politeness bound it gives, in domains a minute. A run can
 * return before a proxy has seen its last connection end (the checker's close is done, the server's
 * not yet relayed): wait for them a little, and count only ended ones.
 */
async function politenessBound(proxies: { connections: { openedAt: number; endedAt: number }[] }[]) {
  const all = () => proxies.flatMap((p) => p.connections);
  for (let waited = 0; waited < 2000 && all().some((c) => c.endedAt === 0); waited += 20)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const sessions = all().filter((c) => c.endedAt > 0);
  const sessionMs = sessions.reduce((t, c) => t + (c.endedAt - c.openedAt), 0) / sessions.length;
  const perMinute = ((MX_HOSTS.length * DOMAINS_PER_SESSION) / (sessionMs / 1000) / ENDPOINTS_PER_DOMAIN) * 60;
  return { sessions: sessions.length, sessionMs, perMinute };
}

/**
 * The same domains through one collectMany() call, on the same loaded machine: the library's own distance
 * from the bound, for reading the batch figure (what the engine adds, and what the machine takes).
 */
async function measureReference(dnsServer: DnsServer, oneWayMs: number, log: (line: string) => void): Promise<Row> {
  const server = await startMx(UPSTREAM_HOST, 0, { suffix: SUFFIX });
  const { port, proxies } = await startProxies(MX_HOSTS, () => ({ host: UPSTREAM_HOST, port: server.port }), oneWayMs);
  try {
    const dns = withDnsCache(createDnsClient({ resolver: parseResolver(dnsServer.address) }), createDnsCache());
    const gate = createConnectionGate({ perAddress: 1 });
    const domains = Array.from({ length: THROUGHPUT_DOMAINS }, (_, i) => domainName(i));
    const started = performance.now();
    await collectBatched(domains, { dns, port, gate });
    const wall = performance.now() - started;
    const bound = await politenessBound(proxies);
    const perMinute = (THROUGHPUT_DOMAINS / wall) * 60_000;
    log(
      `  collectMany(), the same ${THROUGHPUT_DOMAINS} domains in one call: ${perMinute.toFixed(0)} domains/min; ` +
        `${bound.sessions} sessions of ${bound.sessionMs.toFixed(0)} ms, bound ${bound.perMinute.toFixed(0)}/min`,
    );
    return {
      section: 'batch',
      metric: `collectMany(), the same ${THROUGHPUT_DOMAINS} domains in one call @${2 * oneWayMs} ms RTT: domains/min ÷ politeness bound`,
      value: `${perMinute.toFixed(0)} / ${bound.perMinute.toFixed(0)} = ${(perMinute / bound.perMinute).toFixed(2)} (${bound.sessionMs.toFixed(0)} ms/session)`,
      target: 'report (reference)',
      pass: null,
    };
  } finally {
    for (const p of proxies) await p.close();
    await server.close();
  }
}

async function measureThroughput(dnsServer: DnsServer, oneWayMs: number, log: (line: string) => void): Promise<Row> {
  dnsServer.set(...records(THROUGHPUT_DOMAINS));
  const dir = mkdtempSync(join(tmpdir(), 'checker-smtp-bench-batch-'));
  const server = await startMx(UPSTREAM_HOST, 0, { suffix: SUFFIX });
  const { port, proxies } = await startProxies(MX_HOSTS, () => ({ host: UPSTREAM_HOST, port: server.port }), oneWayMs);
  try {
    const list = join(dir, 'domains.txt');
    writeFileSync(list, `${Array.from({ length: THROUGHPUT_DOMAINS }, (_, i) => domainName(i)).join('\n')}\n`);
    const out = join(dir, 'results.jsonl');
    const { writer } = await openFileOutput(out, { resume: false });
    const settings: ChunkSettings = {
      full: false,
      collect: {
        dns: withDnsCache(createDnsClient({ resolver: parseResolver(dnsServer.address) }), createDnsCache()),
        gate: createConnectionGate({ perAddress: 1 }),
        port,
        trustStore: [testCa().cert],
        options: { timeout: 20 },
        egressCanary: [],
      },
    };
    const started = performance.now();
    const result = await runBatchLoop({
      items: readDomains(createReadStream(list)),
      work: (chunk, signal) => checkChunk(chunk, settings, signal),
      sink: createResultSink(() => writer),
      concurrency: BATCH_DEFAULT_CONCURRENCY,
      chunkSize: BATCH_CHUNK_DOMAINS,
    });
    const wall = performance.now() - started;
    await writer.close();
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as BatchLine);
    const wrong = lines.filter((l) => l.error !== undefined || l.facts?.starttls !== ENDPOINTS_PER_DOMAIN).length;
    const { sessions: sessionCount, sessionMs, perMinute: bound } = await politenessBound(proxies);
    const peak = Math.max(...proxies.map((p) => p.peakOpen()));
    if (process.env['BENCH_BATCH_DEBUG']) {
      for (const p of proxies) {
        const c = p.connections;
        const gaps = c.slice(1).map((x, i) => x.openedAt - c[i]!.endedAt);
        log(
          `    ${p.host}: ${c.length} sessions, first at ${(c[0]!.openedAt - started).toFixed(0)} ms, last end ${(started + wall - c[c.length - 1]!.endedAt).toFixed(0)} ms before the end, ` +
            `busy ${(c.reduce((t, x) => t + x.endedAt - x.openedAt, 0) / 1000).toFixed(1)} s, mean gap ${(gaps.reduce((a, b) => a + b, 0) / gaps.length).toFixed(1)} ms, max gap ${Math.max(...gaps).toFixed(0)} ms`,
        );
      }
    }
    const perMinute = (result.checked / wall) * 60_000;
    const fraction = perMinute / bound;
    log(
      `  batch engine, ${THROUGHPUT_DOMAINS} domains @${2 * oneWayMs} ms RTT: ${(wall / 1000).toFixed(1)} s, ${perMinute.toFixed(0)} domains/min; ` +
        `${sessionCount} sessions of ${sessionMs.toFixed(0)} ms on average, bound ${bound.toFixed(0)}/min ` +
        `(${MX_HOSTS.length} addresses × ${DOMAINS_PER_SESSION} domains per session ÷ ${sessionMs.toFixed(0)} ms ÷ ${ENDPOINTS_PER_DOMAIN} endpoints per domain); ` +
        `${lines.length} lines, ${wrong} wrong, peak ${peak} open per address`,
    );
    return {
      section: 'batch',
      metric: `batch engine, ${THROUGHPUT_DOMAINS} domains @${2 * oneWayMs} ms RTT: domains/min ÷ politeness bound`,
      value: `${perMinute.toFixed(0)} / ${bound.toFixed(0)} = ${fraction.toFixed(2)} (${sessionMs.toFixed(0)} ms/session, peak ${peak})`,
      target: oneWayMs > 0 ? `≥ ${BOUND_FRACTION_TARGET}; peak ≤ 1` : 'report; peak ≤ 1',
      pass:
        (oneWayMs === 0 || fraction >= BOUND_FRACTION_TARGET) &&
        peak <= 1 &&
        wrong === 0 &&
        lines.length === THROUGHPUT_DOMAINS,
    };
  } finally {
    for (const p of proxies) await p.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function rssOf(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function measureMemory(dnsServer: DnsServer, log: (line: string) => void): Promise<Row[]> {
  const name = (i: number) => `m${i}.${MEMORY_SUFFIX}`;
  for (let i = 0; i < MEMORY_DOMAINS; i++)
    if (i % NXDOMAIN_EVERY !== 0) dnsServer.add({ name: name(i), type: 'MX', priority: 0, exchange: '.' });
  const queriesBefore = dnsServer.queries.length;
  const dir = mkdtempSync(join(tmpdir(), 'checker-smtp-bench-mem-'));
  try {
    const list = join(dir, 'domains.txt');
    writeFileSync(list, `${Array.from({ length: MEMORY_DOMAINS }, (_, i) => name(i)).join('\n')}\n`);
    const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        `--max-old-space-size=${MEMORY_HEAP_CAP_MIB}`,
        '--import',
        'tsx',
        main,
        'batch',
        list,
        '--resolver',
        dnsServer.address,
        '--egress-canary',
        'none',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const marks = [0.1, 0.5, 1];
    const at: (number | null)[] = marks.map(() => null);
    let peak = 0;
    const started = performance.now();
    /** The last sample: the 100 % mark when the child exits between two samples after its last line. */
    let last: number | null = null;
    const sample = () => {
      const rss = rssOf(child.pid!);
      if (rss === null) return;
      last = rss;
      peak = Math.max(peak, rss);
      marks.forEach((m, i) => {
        if (at[i] === null && lines >= m * MEMORY_DOMAINS) at[i] = rss;
      });
    };
    const timer = setInterval(sample, RSS_SAMPLE_MS);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(timer);
    if (at[2] === null && lines === MEMORY_DOMAINS) at[2] = last;
    const wall = performance.now() - started;
    const [p10, p50, p100] = at.map((v) => (v === null ? NaN : v / 2 ** 20));
    const growth = p100! / p50!;
    log(
      `  batch command, ${MEMORY_DOMAINS.toLocaleString('en-US')} domains (null MX, every ${NXDOMAIN_EVERY}th NXDOMAIN): ${(wall / 1000).toFixed(0)} s, ` +
        `${((MEMORY_DOMAINS / wall) * 60_000).toFixed(0)} domains/min, ${lines} lines, exit ${code}, ` +
        `${dnsServer.queries.length - queriesBefore} DNS queries; RSS ${p10!.toFixed(0)} / ${p50!.toFixed(0)} / ${p100!.toFixed(0)} MiB at 10 / 50 / 100 %, peak ${(peak / 2 ** 20).toFixed(0)} MiB`,
    );
    if (code !== 0) log(stderr);
    return [
      {
        section: 'batch',
        metric: `batch command, ${MEMORY_DOMAINS.toLocaleString('en-US')} domains, old space ≤ ${MEMORY_HEAP_CAP_MIB} MiB: RSS at 10 / 50 / 100 % (peak)`,
        value: `${p10!.toFixed(0)} / ${p50!.toFixed(0)} / ${p100!.toFixed(0)} MiB (${(peak / 2 ** 20).toFixed(0)}; ${((MEMORY_DOMAINS / wall) * 60_000).toFixed(0)}/min)`,
        target: `100 % ≤ ${RSS_GROWTH_TARGET} × 50 %`,
        pass: code === 0 && lines === MEMORY_DOMAINS && growth <= RSS_GROWTH_TARGET,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
