/**
 * collectMany() retries what a sender would retry, as collect() does: a
 * session that met a busy server (421 at the greeting) is tried once more
 * after the back-off, its members together on one connection, and only the
 * second answer is judged. Scripted peers that take one connection at a time
 * (Exim's smtp_accept_max = 1), DNS from the in-process server. Loopback
 * 127.67.0.x belongs to this file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { collectMany } from '../../src/collect/collect-many.js';
import { createConnectionGate } from '../../src/collect/connection-gate.js';
import { parseResolver } from '../../src/config/settings.js';
import { RETRY_BACKOFF_MS } from '../../src/model/limits.js';
import type { Observation } from '../../src/model/observation.js';
import { validateObservation } from '../../src/model/observation-schema.js';
import { evaluate } from '../../src/rules/index.js';
import { testCa } from '../peers/certs.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { healthyDialogue, oneAtATime } from '../peers/one-at-a-time.js';
import { reply } from '../peers/scripted-smtp.js';
import { findings } from './harness.js';

const DNS_HOST = '127.67.0.1';
const TOO_MANY = reply(421, 'Too many concurrent SMTP connections; please try again later.');

let dns: DnsServer;
before(async () => {
  dns = await startDnsServer([], { host: DNS_HOST });
});
after(async () => {
  await dns.close();
});

/** Publish every domain of `domains` with the MX names `names`, the i-th at `hosts[i]`. */
function publish(domains: string[], names: string[], hosts: string[]): void {
  for (const domain of domains)
    dns.set(
      ...mailDomainRecords(
        domain,
        names.map((name, i) => ({ name, addresses: [hosts[i]!] })),
      ),
    );
}

function run(domains: string[], port: number, more: { signal?: AbortSignal } = {}) {
  const gate = createConnectionGate({ perAddress: 1 });
  // No egress check: tests never dial outside loopback.
  const observations = collectMany(domains, {
    resolver: parseResolver(dns.address),
    port,
    trustStore: [testCa().cert],
    options: { timeout: 5 },
    egressCanary: [],
    gate,
    ...more,
  });
  return { gate, observations };
}

function assertValid(obs: Observation): void {
  assert.deepEqual(validateObservation(JSON.parse(JSON.stringify(obs))).errors, [], `${obs.domain}: schema`);
}

/** The findings about greetings and reachability: what a busy server used to cost. */
const connectionFindings = (obs: Observation) =>
  findings(evaluate(obs)).filter((f) => /banner|unreachable|ehlo/.test(f) && !f.includes('.untested'));

test('a shared session greeted 421 is tried once more, as one session, after the back-off: every domain OK', async () => {
  const domains = ['a.busy-once.test', 'b.busy-once.test', 'c.busy-once.test'];
  const names = ['mx.busy-once.test'];
  const hosts = ['127.67.0.10'];
  publish(domains, names, hosts);
  const server = await oneAtATime(hosts, healthyDialogue(domains, names), (conn) => conn.send(TOO_MANY), {
    busyFirst: 1,
  });
  try {
    const { gate, observations } = run(domains, server.port);
    const all = await observations;
    assert.deepEqual(server.greeted, ['busy', '220'], 'the session, then its members together on one connection');
    assert.equal(server.peakOpen, 1, 'never two connections at once');
    assert.equal(gate.stats().peakPerAddress, 1);
    for (const obs of all) {
      assertValid(obs);
      assert.deepEqual(connectionFindings(obs), [], obs.domain);
      const [ep] = obs.endpoints;
      assert.equal(obs.endpoints.length, 1);
      assert.equal(ep!.greeting?.code, 220, 'the record is the second attempt');
      assert.equal(ep!.retry?.reason, 'greeting_421', obs.domain);
      assert.deepEqual(ep!.retry.first_greeting?.lines, [TOO_MANY.trimEnd()]);
      assert.ok(ep!.retry.delay_ms >= RETRY_BACKOFF_MS - 50, `backed off ${ep!.retry.delay_ms} ms`);
      assert.deepEqual(
        ep!.transactions.map((t) => `${t.kind}:${t.outcome}`),
        ['null_sender:accepted', 'postmaster:accepted', 'open_relay:rejected'],
        obs.domain,
      );
      assert.ok(ep!.transcript.some((l) => l.dir === 'C' && l.text === `RCPT TO:<postmaster@${obs.domain}>`));
    }
  } finally {
    await server.close();
  }
});

test('a server still busy on the second attempt is a temporary refusal for every domain, tried exactly twice', async () => {
  const domains = ['a.busy-always.test', 'b.busy-always.test', 'c.busy-always.test'];
  const names = ['mx.busy-always.test'];
  const hosts = ['127.67.0.11'];
  publish(domains, names, hosts);
  const server = await oneAtATime(hosts, healthyDialogue(domains, names), (conn) => conn.send(TOO_MANY), {
    busyFirst: Infinity,
  });
  try {
    const { observations } = run(domains, server.port);
    const all = await observations;
    assert.deepEqual(server.greeted, ['busy', 'busy'], 'one session, one second attempt, no more');
    assert.equal(server.peakOpen, 1);
    for (const obs of all) {
      assertValid(obs);
      const subject = obs.endpoints[0]!.subject;
      assert.deepEqual(connectionFindings(obs), [`WARN smtp.banner.tempfail ${subject}`], obs.domain);
      const state = evaluate(obs).find((s) => s.code === 'smtp.banner.tempfail')!;
      assert.match(state.message, /and again when tried alone 1\.\d s after the other endpoints/);
      assert.equal(obs.endpoints[0]!.retry?.reason, 'greeting_421');
    }
  } finally {
    await server.close();
  }
});

test('two MX names of one server taking one connection at a time: the second attempts go one at a time, all OK', async () => {
  // Seven domains, five a session: two sessions per address. The server is kept busy by others for our
  // first two connections (one per address), and the next two, side by side, trip its limit once more:
  // both addresses have sessions to try again, which must not meet each other.
  const domains = Array.from({ length: 7 }, (_, i) => `d${i}.two-names.test`);
  const names = ['mx1.two-names.test', 'mx2.two-names.test'];
  const hosts = ['127.67.0.12', '127.67.0.13'];
  publish(domains, names, hosts);
  const server = await oneAtATime(hosts, healthyDialogue(domains, names), (conn) => conn.send(TOO_MANY), {
    busyFirst: 2,
  });
  try {
    const { gate, observations } = run(domains, server.port);
    const all = await observations;
    const retriedAt = new Set(all.flatMap((o) => o.endpoints.filter((e) => e.retry !== null).map((e) => e.address)));
    assert.deepEqual(
      [...retriedAt].sort(),
      hosts,
      `both addresses had sessions tried again: ${server.greeted.join(' ')}`,
    );
    assert.equal(gate.stats().peakPerAddress, 1);
    for (const obs of all) {
      assertValid(obs);
      assert.deepEqual(connectionFindings(obs), [], `${obs.domain}: ${server.greeted.join(' ')}`);
      assert.equal(obs.endpoints.length, 2);
      for (const ep of obs.endpoints) assert.equal(ep.greeting?.code, 220, `${obs.domain} ${ep.subject}`);
    }
    const retried = all.flatMap((o) => o.endpoints).filter((e) => e.retry !== null).length;
    const busy = server.greeted.filter((g) => g === 'busy').length;
    assert.ok(retried >= busy, `each busy session's members were tried again (${retried} records, ${busy} busy)`);
    assert.equal(server.greeted.length, 4 + busy, 'four sessions, and one second attempt per busy one');
  } finally {
    await server.close();
  }
});

test('a cut during the back-off dials nothing more and returns at once', async () => {
  const domains = ['a.busy-cut.test', 'b.busy-cut.test'];
  const names = ['mx.busy-cut.test'];
  const hosts = ['127.67.0.14'];
  publish(domains, names, hosts);
  const controller = new AbortController();
  let cutAt = 0;
  const server = await oneAtATime(
    hosts,
    healthyDialogue(domains, names),
    async (conn) => {
      await conn.send(TOO_MANY);
      // Cut once our side has read the 421 and hung up: the back-off is then under way (or about to be).
      await conn.waitClosed();
      cutAt = Date.now();
      controller.abort();
    },
    { busyFirst: Infinity },
  );
  try {
    const { observations } = run(domains, server.port, { signal: controller.signal });
    const all = await observations;
    const returnedAfterCutMs = Date.now() - cutAt;
    assert.deepEqual(server.greeted, ['busy'], 'no second attempt after the cut');
    assert.ok(returnedAfterCutMs < RETRY_BACKOFF_MS, `returned ${returnedAfterCutMs} ms after the cut`);
    for (const obs of all) {
      assertValid(obs);
      assert.equal(obs.cut?.reason, 'cancelled');
      const [ep] = obs.endpoints;
      // Cut before the second attempt began: the first stands; cut during its back-off: it was never dialled.
      if (ep!.retry === null) assert.equal(ep!.greeting?.code, 421);
      else assert.deepEqual([ep!.retry.reason, ep!.error?.code], ['greeting_421', 'cancelled']);
    }
  } finally {
    await server.close();
  }
});
