/**
 * Section 5: the web service under load (issue 12). The real `checker-smtp
 * serve` process, its peers in another child process, this process as the
 * clients, all on loopback (127.1.0.0/16, apart from the other sections).
 *
 * 1. Large checks: four /check at once of a domain with 10 MX × 16
 *    addresses whose servers send long greetings and EHLO replies (long
 *    transcripts), while /health is asked every 10 ms: its p50/p99/max
 *    latency, the checks' time, the service's peak RSS.
 * 2. Slow bodies: connections that send headers and a Content-Length, then
 *    a byte now and then, as the attack did (20,000 of them): from one
 *    address, then from many. The service's open client connections (its
 *    file descriptors) must hold at the caps, and /health must be answered
 *    meanwhile (200 from another address while one client attacks; a fast
 *    503 once every slot is taken).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync as readLink } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { HTTP_MAX_CONNECTIONS, HTTP_MAX_CONNECTIONS_PER_CLIENT } from '../src/model/limits.js';
import { PACKAGE_ROOT } from '../src/model/package-info.js';
import { CLI_MAIN } from '../test/integration/run-cli.js';
import { startPeers, stopPeers } from './cost.js';
import type { AttackConfig, AttackResult } from './slow-body-attacker.js';
import type { Row } from './table.js';

const MX_NAMES = 10;
const ADDRESSES_PER_MX = 16;
/** Padding lines in each greeting and EHLO reply: about 800 transcript lines, 80 KB, per endpoint. */
const PAD_LINES = 250;
/** Checks at once: the "four at once". */
const CONCURRENT_CHECKS = 4;
const PEER_HOSTS = Array.from({ length: MX_NAMES * ADDRESSES_PER_MX }, (_, i) => `127.1.0.${i + 1}`);
const SERVICE_HOST = '127.1.1.1';
const HEALTH_CLIENT = '127.1.3.1';
const NEWCOMER = '127.1.3.2';
/** A newcomer asks less often: each of its requests is a connection. */
const NEWCOMER_EVERY_MS = 100;
/** Attackers: one address for the one-client case, ATTACKERS addresses for the many-clients case. */
const ATTACKERS = Array.from({ length: 20 }, (_, i) => `127.1.2.${i + 1}`);
/** Connections the attack opens in all (the figure), at most ATTACK_IN_FLIGHT at a time. */
const ATTACK_CONNECTIONS = 20_000;
const ATTACK_IN_FLIGHT = 1000;
const HEALTH_EVERY_MS = 10;
/** How often the service's sockets are counted during the attack. */
const SAMPLE_EVERY_MS = 100;
/** /health p99 target under the large checks: a scheduler polls it; a stall of seconds reads as a dead instance. */
const HEALTH_P99_TARGET_MS = 250;

interface Service {
  child: ChildProcess;
  port: number;
}

function startService(resolver: string, smtpPort: number): Promise<Service> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI_MAIN,
      'serve',
      '--listen',
      `${SERVICE_HOST}:0`,
      '--resolver',
      resolver,
      '--port',
      String(smtpPort),
      '--allow-private-targets',
      '--egress-canary',
      'none',
      // Long enough for the slow-body figure to show the cap holding, not the deadline freeing slots.
      '--request-timeout',
      '60',
    ],
    { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { msg?: string; listen?: string[] };
      if (entry.msg === 'checker-smtp ready') resolve({ child, port: Number(entry.listen![0]!.split(':').pop()) });
    });
  });
}

function stopService(service: Service): Promise<void> {
  return new Promise((resolve) => {
    service.child.once('exit', () => resolve());
    service.child.kill('SIGTERM');
  });
}

/** Resident set (now and peak) of a process, from /proc. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** 127.1.2.0/24 (the attackers' addresses) as /proc/net/tcp writes it: little-endian hex, last byte first. */
const ATTACKER_NET_HEX = /^[0-9A-F]{2}02017F$/;

/**
 * Client connections from the attackers that the service holds: its socket
 * file descriptors whose TCP peer is in 127.1.2.0/24 (the bench's own
 * /health clients are elsewhere), from /proc/PID/fd and /proc/net/tcp, as
 * their socket inodes.
 */
function attackerSocketsOf(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const remote = f[2]?.split(':')[0];
    if (remote && ATTACKER_NET_HEX.test(remote)) inodes.add(f[9]!);
  }
  const held = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readLink(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode && inodes.has(inode)) held.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  return held;
}

interface Answer {
  status: number;
  ms: number;
}

function get(port: number, path: string, agent: http.Agent | false, localAddress: string): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: SERVICE_HOST, port, path, agent, localAddress }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end();
  });
}

function postForm(
  port: number,
  fields: Record<string, string>,
): Promise<{ status: number; ms: number; bytes: number }> {
  const body = new URLSearchParams(fields).toString();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: SERVICE_HOST,
        port,
        path: '/check',
        method: 'POST',
        agent: false,
        localAddress: '127.1.4.1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, bytes }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * Polls /health every `everyMs` until stopped; returns the latencies and
 * statuses. On one kept-alive connection (a scheduler's poller), or a new
 * connection each time (a newcomer, who meets the connection caps).
 */
function pollHealth(
  port: number,
  localAddress: string,
  mode: 'kept-alive' | 'newcomer' = 'kept-alive',
  everyMs = HEALTH_EVERY_MS,
) {
  const agent = mode === 'kept-alive' ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
  const answers: Answer[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      try {
        answers.push(await get(port, '/health', agent, localAddress));
      } catch {
        answers.push({ status: 0, ms: Number.NaN });
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
    if (agent) agent.destroy();
  })();
  return {
    async stop() {
      running = false;
      await done;
      return answers;
    },
  };
}

function summary(answers: Answer[]): { p50: number; p99: number; max: number; statuses: string } {
  const ms = answers
    .map((a) => a.ms)
    .filter((m) => Number.isFinite(m))
    .sort((a, b) => a - b);
  const counts = new Map<number, number>();
  for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
  return {
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    max: ms[ms.length - 1] ?? Number.NaN,
    statuses: [...counts].map(([s, n]) => `${n}× ${s === 0 ? 'failed' : s}`).join(', '),
  };
}

interface Attack extends AttackResult {
  /** Most attacker sockets open in the service at one sample (refused ones being closed included). */
  peakSockets: number;
  /**
   * Most attacker sockets open in the service at two samples in a row
   * (SAMPLE_EVERY_MS apart): the connections it holds. A socket over a cap is
   * answered 503 and closed within a turn of the event loop, so it is seen
   * at one sample at most.
   */
  peakHeld: number;
  /** /health on a kept-alive connection opened before the attack. */
  health: ReturnType<typeof summary>;
  /** /health on a new connection each time, during the attack. */
  newcomer: ReturnType<typeof summary>;
}

/** The attack (slow-body-attacker.ts, a child process) from `sources`, while this process samples and polls. */
async function attack(service: Service, sources: string[]): Promise<Attack> {
  const pid = service.child.pid!;
  const config: AttackConfig = {
    host: SERVICE_HOST,
    port: service.port,
    sources,
    connections: ATTACK_CONNECTIONS,
    inFlight: ATTACK_IN_FLIGHT,
  };
  const script = fileURLToPath(new URL('./slow-body-attacker.ts', import.meta.url));
  const attacker = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let peakSockets = 0;
  let peakHeld = 0;
  let previous = new Set<string>();
  const sampler = setInterval(() => {
    const now = attackerSocketsOf(pid);
    peakSockets = Math.max(peakSockets, now.size);
    peakHeld = Math.max(peakHeld, [...now].filter((inode) => previous.has(inode)).length);
    previous = now;
  }, SAMPLE_EVERY_MS);
  const health = pollHealth(service.port, HEALTH_CLIENT);
  const newcomer = pollHealth(service.port, NEWCOMER, 'newcomer', NEWCOMER_EVERY_MS);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: attacker.stdout! }).once('line', resolve);
    attacker.once('exit', (code) => reject(new Error(`the attacker exited with ${code}`)));
  });
  // Every connection was opened: the service holds what it holds; one more second of it.
  await new Promise((r) => setTimeout(r, 1000));
  clearInterval(sampler);
  const answers = await health.stop();
  const newcomers = await newcomer.stop();
  await new Promise<void>((resolve) => {
    attacker.once('exit', () => resolve());
    attacker.stdin!.end();
  });
  // Let the service see the closes before the next part.
  await new Promise((r) => setTimeout(r, 500));
  return {
    ...(JSON.parse(line) as AttackResult),
    peakSockets,
    peakHeld,
    health: summary(answers),
    newcomer: summary(newcomers),
  };
}

export async function measureServiceLoad(log: (line: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  const domain = 'big.bench.test';
  const { child: peers, ready } = await startPeers({
    hosts: PEER_HOSTS,
    greetingDelayMs: 0,
    domain,
    dnsOffset: 13,
    tls: true,
    mxNames: MX_NAMES,
    padLines: PAD_LINES,
  });
  const service = await startService(ready.dns, ready.port);
  const pid = service.child.pid!;
  try {
    // 1. Large checks while /health is polled.
    const idle = pollHealth(service.port, HEALTH_CLIENT);
    await new Promise((r) => setTimeout(r, 1000));
    const idleHealth = summary(await idle.stop());
    // One check first: the worker thread starts and compiles (from source under tsx), as once per process.
    const warm = await postForm(service.port, { form: '1', domain, timeout: '20' });
    log(
      `  warm-up /check: HTTP ${warm.status}, ${(warm.ms / 1000).toFixed(1)} s, ${(warm.bytes / 2 ** 20).toFixed(1)} MiB page`,
    );
    const before = memoryOf(pid);
    const health = pollHealth(service.port, HEALTH_CLIENT);
    const t0 = performance.now();
    const checks = await Promise.all(
      Array.from({ length: CONCURRENT_CHECKS }, () => postForm(service.port, { form: '1', domain, timeout: '20' })),
    );
    const wall = performance.now() - t0;
    const loaded = summary(await health.stop());
    const after = memoryOf(pid);
    const endpoints = MX_NAMES * ADDRESSES_PER_MX;
    log(
      `  ${CONCURRENT_CHECKS} × /check of ${MX_NAMES} MX × ${ADDRESSES_PER_MX} addresses (${endpoints} endpoints, ~${PAD_LINES * 3} transcript lines each): HTTP ${checks.map((c) => c.status).join('/')}, ${(wall / 1000).toFixed(1)} s, pages ${(checks[0]!.bytes / 2 ** 20).toFixed(1)} MiB`,
    );
    log(
      `  /health idle p50 ${idleHealth.p50.toFixed(1)} ms; under the checks p50 ${loaded.p50.toFixed(1)} ms, p99 ${loaded.p99.toFixed(1)} ms, max ${loaded.max.toFixed(0)} ms (${loaded.statuses})`,
    );
    log(`  service RSS ${(before.rss / 2 ** 20).toFixed(0)} MiB before, peak ${(after.hwm / 2 ** 20).toFixed(0)} MiB`);
    const allOk = checks.every((c) => c.status === 200) && !/failed/.test(loaded.statuses);
    rows.push({
      section: 'service',
      metric: `/health p50 / p99 / max during ${CONCURRENT_CHECKS} × /check of ${endpoints} endpoints`,
      value: `${loaded.p50.toFixed(1)} / ${loaded.p99.toFixed(1)} / ${loaded.max.toFixed(0)} ms`,
      target: `p99 ≤ ${HEALTH_P99_TARGET_MS} ms, all answered`,
      pass: allOk && loaded.p99 <= HEALTH_P99_TARGET_MS,
    });
    rows.push({
      section: 'service',
      metric: `${CONCURRENT_CHECKS} × /check of ${endpoints} endpoints: wall, service peak RSS`,
      value: `${(wall / 1000).toFixed(1)} s, ${(after.hwm / 2 ** 20).toFixed(0)} MiB`,
      target: 'report',
      pass: null,
    });

    // 2. Slow bodies: one client, then many.
    for (const [label, sources, cap, newcomerStatus] of [
      ['one client', ATTACKERS.slice(0, 1), HTTP_MAX_CONNECTIONS_PER_CLIENT, 200],
      [`${ATTACKERS.length} clients`, ATTACKERS, HTTP_MAX_CONNECTIONS, 503],
    ] as const) {
      const a = await attack(service, [...sources]);
      // The refusal time runs from the attacker's connect: most of it is the wait in the
      // kernel's accept queue, which the attacker's 1,000 connects at a time keep full.
      log(
        `  slow bodies from ${label}: ${ATTACK_CONNECTIONS} connections, ${a.refused} refused with 503 (p99 ${a.refusalP99.toFixed(0)} ms after connect), ${a.dropped} dropped; the service held at most ${a.peakHeld} (peak sockets ${a.peakSockets}, cap ${cap})`,
      );
      log(
        `    /health kept alive: p50 ${a.health.p50.toFixed(1)} ms, p99 ${a.health.p99.toFixed(1)} ms (${a.health.statuses}); a newcomer: p50 ${a.newcomer.p50.toFixed(1)} ms, p99 ${a.newcomer.p99.toFixed(1)} ms (${a.newcomer.statuses})`,
      );
      rows.push({
        section: 'service',
        metric: `slow bodies from ${label} (${ATTACK_CONNECTIONS} conns): connections held (peak sockets)`,
        value: `${a.peakHeld} (${a.peakSockets})`,
        // Reported, not judged: under load a socket refused over the cap (answered 503, closed at the
        // end of that turn of the event loop) can still be open at two samples in a row. The exact
        // cap is proven by test/hostile-client/http-slow-clients.test.ts.
        target: `cap ${cap} (+ refused ones closing)`,
        pass: null,
      });
      rows.push({
        section: 'service',
        metric: '  meanwhile /health p50 / p99 (kept-alive client)',
        value: `${a.health.p50.toFixed(1)} / ${a.health.p99.toFixed(1)} ms, ${a.health.statuses}`,
        // What must hold under the attack is that the service still answers (issue 12: it stopped);
        // its latency here is shared with the attacker's thousand connects on the same cores.
        target: 'all answered (p99 reported)',
        pass: !/failed/.test(a.health.statuses),
      });
      rows.push({
        section: 'service',
        metric: '  meanwhile /health p50 / p99 (a newcomer, new connection)',
        value: `${a.newcomer.p50.toFixed(1)} / ${a.newcomer.p99.toFixed(1)} ms, ${a.newcomer.statuses}`,
        target: `answered${newcomerStatus === 503 ? ' (503 once the cap is full)' : ''}`,
        pass: !/failed/.test(a.newcomer.statuses) && (newcomerStatus === 503 || !/503/.test(a.newcomer.statuses)),
      });
    }
  } finally {
    await stopService(service);
    await stopPeers(peers);
  }
  return rows;
}
