/**
 * The frame of every hostile-server case: one domain whose MX set holds a
 * healthy peer (smtp-server, STARTTLS, Postfix-like policy) and the hostile
 * one, on the same port. `run()` checks what every case must hold, whatever
 * the misbehaviour:
 * - the whole check ends within the budget plus a margin;
 * - the healthy endpoint keeps its full result and draws no finding;
 * - the hostile endpoint keeps a bounded number of bytes (read and in JSON);
 * - nothing is left open: every hostile connection was closed by us, and the
 *   process has no more sockets, servers or timers than before.
 * The test then asserts what the hostile endpoint's error and states say.
 */
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios } from '../peers/smtp-scenarios.js';
import { startOnSamePort, type Closable } from '../peers/listen.js';
import { startScriptedServer, type ConnectionScript } from '../peers/scripted-smtp.js';
import type { ConnectionLog } from '../peers/connection-log.js';
import { MAX_ENDPOINT_BYTES, MAX_TRANSCRIPT_LINES } from '../../src/model/limits.js';
import type { EndpointProbe, Observation } from '../../src/model/observation.js';
import { Status, type CheckState } from '../../src/model/status.js';
import { runCheck } from '../integration/harness.js';

/**
 * Slack over the budget for the whole check: DNS, the healthy endpoint's TLS
 * and the teardown, on a loaded 2-core machine where other test files run
 * at the same time (seen: 2.3 s for a 2 s budget beside three busy loops).
 * Generous on purpose: the point is "budget, not forever", and the hostile
 * scripts hang for 30 s.
 */
export const CHECK_MARGIN_MS = 5000;

/** Slack over the budget for the hostile endpoint's own clock (connect to teardown); the timer may fire late under load. */
export const ENDPOINT_MARGIN_MS = 1500;

/**
 * The engine counts a read chunk before refusing it: the byte cap can be
 * passed by at most one read, which libuv makes at most 64 KiB.
 */
const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Upper bound on one endpoint's JSON. Server text is kept at most twice (a
 * transcript line and the reply holding it) and is at most the byte cap;
 * each transcript entry adds its envelope ({"t":…,"dir":"S","text":""}),
 * and the fixed fields (timings, TLS facts, certificate) stay well under 16 KiB.
 */
export const MAX_ENDPOINT_JSON_CHARS = 2 * MAX_ENDPOINT_BYTES + MAX_TRANSCRIPT_LINES * 64 + 16 * 1024;

/** How long after the check a hostile connection may take to see our close. */
const CLOSE_SEEN_WITHIN_MS = 2000;

/** How long closed handles may take to leave the process's active resources. */
const SETTLE_MS = 500;
const POLL_MS = 10;

/** Process resources that must not outlive a check. */
const TRACKED_RESOURCES = ['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap', 'Timeout', 'Immediate'];

/** A hostile peer: a raw script, or one of the shared scenarios (which already misbehave one way). */
export type HostilePeer = ConnectionScript | 'silent' | 'starttlsInjection';

export interface HostileRun {
  observation: Observation;
  states: CheckState[];
  hostile: EndpointProbe;
  healthy: EndpointProbe;
  /** Non-OK states whose subject is the hostile endpoint, by code. */
  findings: CheckState[];
  elapsedMs: number;
  /** What the hostile peer saw of each connection. */
  connections: readonly ConnectionLog[];
}

export interface HostileBench {
  /** Check `<name>.test` with the hostile peer beside a healthy one; `timeout` in seconds. */
  run(name: string, peer: HostilePeer, timeout: number): Promise<HostileRun>;
  close(): Promise<void>;
}

/** One bench per test file, on the file's own two loopback addresses. */
export async function startBench(hosts: { healthy: string; hostile: string }): Promise<HostileBench> {
  const dns: DnsServer = await startDnsServer([]);
  return {
    close: () => dns.close(),
    async run(name, peer, timeout) {
      const domain = `${name}.test`;
      dns.set(
        ...mailDomainRecords(domain, [
          { name: `good.${domain}`, addresses: [hosts.healthy], priority: 10 },
          { name: hostileMx(name), addresses: [hosts.hostile], priority: 20 },
        ]),
      );
      const before = resourceCounts();
      const { port, peers } = await startOnSamePort<Closable & { connections?: readonly ConnectionLog[] }>([
        (p) => scenarios.healthy({ host: hosts.healthy, port: p, domain, mxName: `good.${domain}` }),
        (p) => startHostile(peer, hosts.hostile, p, domain),
      ]);
      let result: Omit<HostileRun, 'connections'>;
      const connections = peers[1]!.connections ?? [];
      try {
        const { observation, states } = await runCheck(dns, port, { domain, timeout });
        // collect()'s own clock: DNS, both endpoints, teardown; not the harness's schema check.
        const elapsedMs = observation.duration_ms;
        const healthy = observation.endpoints.find((e) => e.address === hosts.healthy)!;
        const hostile = observation.endpoints.find((e) => e.address === hosts.hostile)!;
        const findings = notOk(states, hostile.subject).sort((a, b) => (a.code ?? '').localeCompare(b.code ?? ''));
        result = { observation, states, healthy, hostile, elapsedMs, findings };
        assertWithinBudget(result, timeout);
        assertHealthyKeptEverything(result);
        assertBounded(hostile);
        await assertClosedByUs(connections);
      } finally {
        await Promise.all(peers.map((p) => p.close()));
      }
      // Handles close a loop turn after destroy(): give them that, not more.
      await eventually(() => leakedSince(before).length === 0, SETTLE_MS);
      assert.deepEqual(leakedSince(before), [], 'resources left open by the check');
      return { ...result, connections };
    },
  };
}

/** The MX name of the hostile endpoint of `run(name, …)`: what its certificate must carry. */
export function hostileMx(name: string): string {
  return `bad.${name}.test`;
}

async function startHostile(peer: HostilePeer, host: string, port: number, domain: string) {
  if (typeof peer === 'string') return scenarios[peer]({ host, port, domain, mxName: `bad.${domain}` });
  return startScriptedServer({ host, port, script: peer });
}

function notOk(states: CheckState[], subject: string): CheckState[] {
  return states.filter((s) => s.subject === subject && s.status !== Status.OK);
}

function assertWithinBudget(run: Omit<HostileRun, 'connections'>, timeout: number): void {
  const budgetMs = timeout * 1000;
  assert.ok(run.elapsedMs < budgetMs + CHECK_MARGIN_MS, `the check took ${run.elapsedMs} ms for a ${timeout} s budget`);
  const own = run.hostile.timings.total_ms;
  assert.ok(own < budgetMs + ENDPOINT_MARGIN_MS, `the hostile endpoint took ${own} ms for a ${timeout} s budget`);
}

function assertHealthyKeptEverything({ healthy, states }: Omit<HostileRun, 'connections'>): void {
  assert.equal(healthy.error, null, 'the healthy endpoint finished its dialogue');
  assert.equal(healthy.greeting?.code, 220);
  assert.equal(healthy.starttls.ok, true, 'the healthy endpoint completed STARTTLS');
  assert.equal(healthy.ehlo_tls?.code, 250);
  assert.deepEqual(
    healthy.transactions.map((t) => t.outcome),
    ['accepted', 'accepted', 'rejected'],
    'the healthy endpoint ran all three transactions',
  );
  assert.equal(healthy.quit?.code, 221);
  // smtp-server advertises no ENHANCEDSTATUSCODES here: an INFO, and nothing worse.
  const worse = notOk(states, healthy.subject).filter((s) => s.status !== Status.INFO);
  assert.deepEqual(worse, [], 'no finding about the healthy endpoint');
}

function assertBounded(hostile: EndpointProbe): void {
  assert.ok(
    hostile.bytes_received <= MAX_ENDPOINT_BYTES + READ_CHUNK_BYTES,
    `read ${hostile.bytes_received} bytes, cap ${MAX_ENDPOINT_BYTES}`,
  );
  const kept = JSON.stringify(hostile).length;
  assert.ok(kept <= MAX_ENDPOINT_JSON_CHARS, `kept ${kept} JSON characters, bound ${MAX_ENDPOINT_JSON_CHARS}`);
  assert.ok(hostile.transcript.length <= MAX_TRANSCRIPT_LINES);
}

/** Every hostile connection saw its close while the peer was still up: we closed it, not the teardown. */
async function assertClosedByUs(connections: readonly ConnectionLog[]): Promise<void> {
  assert.ok(connections.length > 0, 'the hostile peer was connected to');
  await eventually(() => connections.every((c) => c.closedAt !== undefined), CLOSE_SEEN_WITHIN_MS);
  const open = connections.filter((c) => c.closedAt === undefined).length;
  assert.equal(open, 0, `${open} hostile connection(s) still open after the check`);
}

function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** Tracked resources more numerous now than in `before`, in words. */
function leakedSince(before: Map<string, number>): string[] {
  const now = resourceCounts();
  return TRACKED_RESOURCES.filter((type) => (now.get(type) ?? 0) > (before.get(type) ?? 0)).map(
    (type) => `${type}: ${before.get(type) ?? 0} before, ${now.get(type) ?? 0} after`,
  );
}

async function eventually(done: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
}
