/**
 * Section 4: cost per probe. CPU milliseconds per endpoint probe (this
 * process's CPU time around many probes), peak RSS with 1 000 probes in
 * flight against tarpitting servers (greeting held back for seconds), and
 * the JSON size of one endpoint observation. The servers run in a child
 * process (peer-process.ts): what this process uses is the checker's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import tls from 'node:tls';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createDnsClient } from '../src/collect/dns/dns-client.js';
import { parseOptions } from '../src/config/options.js';
import { parseResolver } from '../src/config/settings.js';
import { probeEndpoint, type EndpointTarget, type ProbeContext } from '../src/collect/smtp/probe-endpoint.js';
import { collectMany } from '../src/collect/collect-many.js';
import { TlsSessions } from '../src/collect/tls/tls-sessions.js';
import { evaluate } from '../src/rules/index.js';
import type { EndpointProbe } from '../src/model/observation.js';
import { benchAddress } from './bench-peers.js';
import type { PeerProcessConfig, PeerProcessReady } from './peer-process.js';
import type { Row } from './table.js';

/** Probes timed for CPU: enough that per-probe CPU is steady, few enough to take seconds. */
const CPU_PROBES = 300;
/** Probes before each CPU run, not counted: the code optimised, contexts and sessions made (steady state). */
const CPU_WARM_UP = 150;
/** Probes at once in the CPU run: a busy checker, not a thundering herd. */
const CPU_CONCURRENCY = 10;
/** Domains of the bulk CPU figure (and of its warm-up, other names so nothing is cached for the measure but sessions). */
const BULK_DOMAINS = 400;
const BULK_WARM_UP = 40;
/** Issue 14's target for the CPU a probe costs, on the bench machine. */
const CPU_TARGET_MS = 2;
/** Probes in flight at once for the memory figure (issue 6). */
const INFLIGHT_PROBES = 1000;
/** Addresses the 1 000 tarpit connections spread over (50 each). */
const TARPIT_HOSTS = Array.from({ length: 20 }, (_, i) => benchAddress(15 + i));
/** How long the tarpit holds its greeting: long enough that all 1 000 probes are connected and waiting. */
const TARPIT_GREETING_MS = 5000;
/** Sampling stops this long before the tarpits greet, so only waiting probes are measured. */
const TARPIT_MARGIN_MS = 500;
/** RSS sampling interval while the probes run. */
const SAMPLE_MS = 20;
/** Target for bytes per in-flight probe: a socket, a parser and a transcript, not a TLS context each. */
const BYTES_PER_PROBE_TARGET = 64 * 1024;

export async function startPeers(config: PeerProcessConfig): Promise<{ child: ChildProcess; ready: PeerProcessReady }> {
  const script = fileURLToPath(new URL('./peer-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench peer process exited with ${code}`)));
  });
  return { child, ready: JSON.parse(first) as PeerProcessReady };
}

export function stopPeers(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.stdin!.end();
  });
}

function targets(hosts: string[], port: number, domain: string, count: number): EndpointTarget[] {
  return Array.from({ length: count }, (_, i) => {
    const h = i % hosts.length;
    return { address: hosts[h]!, family: 4, port, mx: [`mx${h}.${domain}`], preference: 10 };
  });
}

async function runAll<T, R>(list: T[], concurrency: number, run: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < list.length) out.push(await run(list[next++]!));
    }),
  );
  return out;
}

/** This process's CPU (user + system) and wall time around `run`. */
async function cpuOf<T>(run: () => Promise<T>): Promise<{ cpuMs: number; wallMs: number; value: T }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await run();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, value };
}

/** Connect, complete a TLS handshake as the probe's client does (its options, its trust store), close. */
function bareTlsConnection(host: string, port: number, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, ca: [ca], servername: 'mx0.cpu.bench.test', rejectUnauthorized: false });
    socket.once('secureConnect', () => socket.end());
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
}

export async function measureCost(log: (line: string) => void): Promise<Row[]> {
  const rows: Row[] = [];

  // CPU per probe, against prompt servers: a full handshake each, a resumed session each, a bulk run, and the floor.
  {
    const domain = 'cpu.bench.test';
    const hosts = TARPIT_HOSTS.slice(0, 4);
    const { child, ready } = await startPeers({
      hosts,
      greetingDelayMs: 0,
      domain,
      dnsOffset: 11,
      tls: true,
      listDomains: BULK_DOMAINS + BULK_WARM_UP,
    });
    try {
      const dns = createDnsClient({ resolver: parseResolver(ready.dns) });
      const ctx = { options: parseOptions({ domain, timeout: 10 }), dns, trustStore: [ready.ca] };
      const perProbe = async (
        label: string,
        probeCtx: ProbeContext,
      ): Promise<{ ms: number; probes: EndpointProbe[] }> => {
        await runAll(targets(hosts, ready.port, domain, CPU_WARM_UP), CPU_CONCURRENCY, (t) =>
          probeEndpoint(t, probeCtx),
        ); // warm-up: JIT, contexts, sessions
        const {
          cpuMs,
          wallMs,
          value: probes,
        } = await cpuOf(() =>
          runAll(targets(hosts, ready.port, domain, CPU_PROBES), CPU_CONCURRENCY, (t) => probeEndpoint(t, probeCtx)),
        );
        const bad = probes.filter((p) => p.error !== null || !p.starttls.ok).length;
        const resumed = probes.filter((p) => p.starttls.tls?.resumed_from !== undefined).length;
        log(
          `  ${label}: ${CPU_PROBES} probes (${CPU_CONCURRENCY} at once), ${wallMs.toFixed(0)} ms wall, CPU ${cpuMs.toFixed(0)} ms, ${resumed} resumed, ${bad} broken`,
        );
        return { ms: bad === 0 ? cpuMs / CPU_PROBES : NaN, probes };
      };

      const full = await perProbe('full handshakes', ctx);
      rows.push({
        section: 'cost',
        metric: 'CPU per endpoint probe (full probe, TLS 1.3 full handshake)',
        value: `${full.ms.toFixed(2)} ms`,
        target: 'report',
        pass: Number.isNaN(full.ms) ? false : null,
      });
      const resumed = await perProbe('resumed sessions', { ...ctx, tlsSessions: new TlsSessions() });
      rows.push({
        section: 'cost',
        metric: 'CPU per endpoint probe (full probe, TLS 1.3 session resumed)',
        value: `${resumed.ms.toFixed(2)} ms`,
        target: 'report',
        pass: Number.isNaN(resumed.ms) ? false : null,
      });

      // What a batch pays: collectMany over a list on the four MX (shared sessions, resumed TLS), then the rules.
      const listSettings = {
        resolver: parseResolver(ready.dns),
        port: ready.port,
        trustStore: [ready.ca],
        options: { timeout: 10 },
        egressCanary: [],
        tlsSessions: new TlsSessions(),
      };
      const list = (from: number, count: number) => Array.from({ length: count }, (_, i) => `d${from + i}.${domain}`);
      await collectMany(list(BULK_DOMAINS, BULK_WARM_UP), listSettings);
      const bulk = await cpuOf(async () => {
        const observations = await collectMany(list(0, BULK_DOMAINS), listSettings);
        for (const o of observations) evaluate(o);
        return observations;
      });
      const endpoints = bulk.value.flatMap((o) => o.endpoints);
      const bulkBad = endpoints.filter((e) => e.error !== null || !e.starttls.ok).length;
      const bulkMs = bulk.cpuMs / BULK_DOMAINS;
      log(
        `  bulk: collectMany() + rules over ${BULK_DOMAINS} domains on ${hosts.length} MX, ${bulk.wallMs.toFixed(0)} ms wall, CPU ${bulk.cpuMs.toFixed(0)} ms, ${endpoints.filter((e) => e.starttls.tls?.resumed_from !== undefined).length} of ${endpoints.length} endpoint results on a resumed session, ${bulkBad} broken`,
      );
      rows.push({
        section: 'cost',
        metric: `CPU per domain, collectMany() + rules, ${BULK_DOMAINS} domains on ${hosts.length} MX (one endpoint each)`,
        value: `${bulkMs.toFixed(2)} ms`,
        target: `≤ ${CPU_TARGET_MS} ms`,
        pass: bulkBad === 0 && bulkMs <= CPU_TARGET_MS,
      });

      // The floor: node:tls alone, a TLS 1.3 client connection that does nothing but its handshake.
      const bare = await cpuOf(() =>
        runAll(Array.from({ length: CPU_PROBES }), CPU_CONCURRENCY, () =>
          bareTlsConnection(hosts[0]!, ready.tlsPort, ready.ca),
        ),
      );
      log(`  floor: ${CPU_PROBES} bare node:tls connections, CPU ${bare.cpuMs.toFixed(0)} ms`);
      rows.push({
        section: 'cost',
        metric: 'reference: one bare node:tls client connection (TCP, TLS 1.3 full handshake, close)',
        value: `${(bare.cpuMs / CPU_PROBES).toFixed(2)} ms`,
        target: 'report',
        pass: null,
      });

      const sizes = full.probes.map((p) => JSON.stringify(p).length);
      const transcript = full.probes.map((p) => JSON.stringify(p.transcript).length);
      const cert = full.probes.map((p) => JSON.stringify(p.starttls.tls?.chain ?? []).length);
      const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
      log(
        `  endpoint observation JSON: ${avg(sizes)} bytes (transcript ${avg(transcript)}, certificate chain ${avg(cert)})`,
      );
      rows.push({
        section: 'cost',
        metric: 'bytes kept per endpoint observation (JSON)',
        value: `${avg(sizes)} B`,
        target: 'report',
        pass: null,
      });
    } finally {
      await stopPeers(child);
    }
  }

  // Peak RSS with 1 000 probes in flight against tarpits.
  {
    const domain = 'tarpit.bench.test';
    const { child, ready } = await startPeers({
      hosts: TARPIT_HOSTS,
      greetingDelayMs: TARPIT_GREETING_MS,
      domain,
      dnsOffset: 12,
      tls: false,
    });
    try {
      const ctx = {
        options: parseOptions({ domain, timeout: 30 }),
        dns: createDnsClient({ resolver: parseResolver(ready.dns) }),
        trustStore: [ready.ca],
      };
      // Warm up what every probe shares (the TLS context, the code) so the figure is per probe.
      await probeEndpoint(targets(TARPIT_HOSTS, ready.port, domain, 1)[0]!, {
        ...ctx,
        options: parseOptions({ domain, timeout: 30 }),
      });
      // Collect garbage first (npm run bench passes --expose-gc) so the baseline is what is live.
      (globalThis as { gc?: () => void }).gc?.();
      const base = process.memoryUsage();
      let peak = base.rss;
      let peakHeap = base.heapUsed;
      let waiting = true;
      const sampler = setInterval(() => {
        if (!waiting) return;
        const m = process.memoryUsage();
        peak = Math.max(peak, m.rss);
        peakHeap = Math.max(peakHeap, m.heapUsed);
      }, SAMPLE_MS);
      const t0 = performance.now();
      const running = Promise.all(
        targets(TARPIT_HOSTS, ready.port, domain, INFLIGHT_PROBES).map((t) => probeEndpoint(t, ctx)),
      );
      // Sample while every probe waits for its greeting; stop a little before the tarpits answer.
      const greetings = setTimeout(() => (waiting = false), TARPIT_GREETING_MS - TARPIT_MARGIN_MS);
      const probes = await running;
      clearTimeout(greetings);
      clearInterval(sampler);
      const wall = performance.now() - t0;
      const ok = probes.filter((p) => p.error === null).length;
      const perProbe = (peak - base.rss) / INFLIGHT_PROBES;
      // RSS can grow less than the heap (pages reserved earlier): report both, judge the larger.
      const heapPerProbe = (peakHeap - base.heapUsed) / INFLIGHT_PROBES;
      const worst = Math.max(perProbe, heapPerProbe);
      const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
      log(
        `  ${INFLIGHT_PROBES} probes held ${TARPIT_GREETING_MS / 1000} s at the greeting (no STARTTLS), then their dialogues: ${ok} complete in ${(wall / 1000).toFixed(1)} s`,
      );
      log(
        `  RSS before ${mib(base.rss)}, peak while all wait ${mib(peak)} (heap ${mib(base.heapUsed)} → ${mib(peakHeap)}, ${((peakHeap - base.heapUsed) / INFLIGHT_PROBES / 1024).toFixed(1)} KiB per probe)`,
      );
      rows.push({
        section: 'cost',
        metric: `memory per in-flight probe (${INFLIGHT_PROBES} waiting on tarpits)`,
        value: `RSS +${(perProbe / 1024).toFixed(1)} KiB, heap +${(heapPerProbe / 1024).toFixed(1)} KiB (peak RSS ${mib(peak)})`,
        target: `≤ ${BYTES_PER_PROBE_TARGET / 1024} KiB, all complete`,
        pass: ok === INFLIGHT_PROBES && worst <= BYTES_PER_PROBE_TARGET,
      });
    } finally {
      await stopPeers(child);
    }
  }
  return rows;
}
