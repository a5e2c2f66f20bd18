/**
 * Section 4: cost per probe. CPU milliseconds per endpoint probe (this
 * process's CPU time around many probes), peak RSS with 1 000 probes in
 * flight against tarpitting servers (greeting held back for seconds), and
 * the JSON size of one endpoint observation. The servers run in a child
 * process (peer-process.ts): what this process uses is the checker's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createDnsClient } from '../src/collect/dns/dns-client.js';
import { parseOptions } from '../src/config/options.js';
import { parseResolver } from '../src/config/settings.js';
import { probeEndpoint, type EndpointTarget } from '../src/collect/smtp/probe-endpoint.js';
import type { EndpointProbe } from '../src/model/observation.js';
import { benchAddress } from './bench-peers.js';
import type { PeerProcessConfig, PeerProcessReady } from './peer-process.js';
import type { Row } from './table.js';

/** Probes timed for CPU: enough that per-probe CPU is steady, few enough to take seconds. */
const CPU_PROBES = 300;
/** Probes at once in the CPU run: a busy checker, not a thundering herd. */
const CPU_CONCURRENCY = 10;
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

async function runAll(
  list: EndpointTarget[],
  concurrency: number,
  probe: (t: EndpointTarget) => Promise<EndpointProbe>,
): Promise<EndpointProbe[]> {
  const out: EndpointProbe[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < list.length) out.push(await probe(list[next++]!));
    }),
  );
  return out;
}

export async function measureCost(log: (line: string) => void): Promise<Row[]> {
  const rows: Row[] = [];

  // CPU per probe, against prompt servers.
  {
    const domain = 'cpu.bench.test';
    const hosts = TARPIT_HOSTS.slice(0, 4);
    const { child, ready } = await startPeers({ hosts, greetingDelayMs: 0, domain, dnsOffset: 11, tls: true });
    try {
      const ctx = {
        options: parseOptions({ domain, timeout: 10 }),
        dns: createDnsClient({ resolver: parseResolver(ready.dns) }),
        trustStore: [ready.ca],
      };
      await runAll(targets(hosts, ready.port, domain, 20), CPU_CONCURRENCY, (t) => probeEndpoint(t, ctx)); // warm-up: JIT, contexts
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const probes = await runAll(targets(hosts, ready.port, domain, CPU_PROBES), CPU_CONCURRENCY, (t) =>
        probeEndpoint(t, ctx),
      );
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const bad = probes.filter((p) => p.error !== null || !p.starttls.ok).length;
      const perProbe = (cpu.user + cpu.system) / 1000 / CPU_PROBES;
      log(
        `  ${CPU_PROBES} probes (${CPU_CONCURRENCY} at once): ${wall.toFixed(0)} ms wall, CPU user ${(cpu.user / 1000).toFixed(0)} ms + system ${(cpu.system / 1000).toFixed(0)} ms, ${bad} broken`,
      );
      rows.push({
        section: 'cost',
        metric: 'CPU per endpoint probe (full probe, TLS 1.3)',
        value: `${perProbe.toFixed(2)} ms`,
        target: 'report',
        pass: bad === 0 ? null : false,
      });
      const sizes = probes.map((p) => JSON.stringify(p).length);
      const transcript = probes.map((p) => JSON.stringify(p.transcript).length);
      const cert = probes.map((p) => JSON.stringify(p.starttls.tls?.chain ?? []).length);
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
