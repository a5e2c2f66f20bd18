/**
 * A deadline and a cancel for collection: DNS that never answers, a server
 * that never greets, a probe waiting in the connection gate's line. Each
 * time collect() (and collectMany()) returns promptly, and what was cut is
 * recorded as cut (`deadline`, `cancelled`), never as the server's silence
 * nor thrown away. Small budgets, no long sleeps. Loopback 127.0.0.118–122
 * belongs to this file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { collectMany } from '../../src/collect/collect-many.js';
import { createConnectionGate } from '../../src/collect/connection-gate.js';
import { createDnsClient } from '../../src/collect/dns/dns-client.js';
import { parseResolver } from '../../src/config/settings.js';
import { defaultCollectDeadlineMs } from '../../src/model/limits.js';
import { verdictStatus } from '../../src/presentation/view-model.js';
import { renderText } from '../../src/presentation/text/render-text.js';
import { Status } from '../../src/model/status.js';
import { testCa } from '../peers/certs.js';
import { findings, runCheck } from './harness.js';

const SILENT_HOST = '127.0.0.118';
/** The endpoint budget: long, so that only the deadline or the cancel can end these checks early. */
const TIMEOUT_S = 8;
/** "Promptly": a cut check returns within this of the cut, teardown included, on a loaded machine. */
const PROMPT_MS = 2000;

let dns: DnsServer;
let silent: ScenarioPeer;

before(async () => {
  testCa(); // made once, here: openssl's time is not the check's
  silent = await scenarios.silent({ host: SILENT_HOST, port: 0, domain: 'silent.test' });
  dns = await startDnsServer([
    ...mailDomainRecords('silent.test', [{ name: 'mx.silent.test', addresses: [SILENT_HOST] }]),
    ...mailDomainRecords('silent2.test', [{ name: 'mx.silent.test', addresses: [SILENT_HOST] }]),
    { name: 'nodns.test', fault: 'timeout' },
  ]);
});
after(async () => {
  await Promise.all([silent.close(), dns.close()]);
});

test('the default deadline is derived from the endpoint budget', () => {
  assert.equal(defaultCollectDeadlineMs(12), 44_000);
  assert.equal(defaultCollectDeadlineMs(1), 22_000);
});

test('the deadline cuts a dialogue that would have waited for the whole budget, and says so', async () => {
  const { observation, states } = await runCheck(
    dns,
    silent.port,
    { domain: 'silent.test', timeout: TIMEOUT_S },
    { deadlineMs: 500 },
  );
  assert.ok(observation.duration_ms < 500 + PROMPT_MS, `took ${observation.duration_ms} ms`);
  assert.equal(observation.cut?.reason, 'deadline');
  assert.equal(observation.cut?.message, 'the 0.5 s deadline of the check ran out');
  const [e] = observation.endpoints;
  assert.equal(e!.connected, true);
  assert.deepEqual(e!.error, {
    code: 'deadline',
    phase: 'greeting',
    message: 'the 0.5 s deadline of the check ran out',
  });
  assert.equal(e!.transcript.at(-1)?.text, 'cut: the 0.5 s deadline of the check ran out');
  // Never the server's silence: no banner.timeout, and the verdict says the check could not test it.
  assert.ok(!findings(states).some((f) => f.includes('smtp.banner.timeout')), findings(states).join('\n'));
  assert.equal(verdictStatus(observation, states), Status.UNKNOWN);
  assert.match(
    // Under the verdict, wrapped to the width: read as one paragraph.
    renderText(observation, states, { color: false }).replace(/\s+/g, ' '),
    /The check was cut short after \d+ ms \(the 0\.5 s deadline of the check ran out\): 1 dialogue was cut short/,
  );
});

test('the deadline covers DNS: a lookup that never answers is recorded as timed out, at once', async () => {
  const slow = createDnsClient({ resolver: parseResolver(dns.address), timeoutMs: 5000, tries: 1 });
  const started = Date.now();
  const { observation, states } = await runCheck(
    dns,
    silent.port,
    { domain: 'nodns.test', timeout: TIMEOUT_S },
    { dns: slow, deadlineMs: 300 },
  );
  assert.ok(Date.now() - started < 300 + PROMPT_MS);
  assert.equal(observation.dns.mx_error?.code, 'TIMEOUT');
  assert.equal(observation.dns.mx_error?.message, 'not answered: the 0.3 s deadline of the check ran out');
  assert.equal(observation.dns.resolver_check, null, 'the resolver is not judged on our own cut');
  assert.ok(findings(states).includes('UNKNOWN smtp.mx.lookup_failed nodns.test'));
  assert.match(
    states.find((s) => s.code === 'smtp.mx.lookup_failed')!.message,
    /the 0\.3 s deadline of the check ran out before/,
  );
});

test('a cancel ends a running dialogue promptly and is recorded as cancelled', async () => {
  const controller = new AbortController();
  const cancelAt = 300;
  setTimeout(() => controller.abort(), cancelAt);
  const started = Date.now();
  const { observation } = await runCheck(
    dns,
    silent.port,
    { domain: 'silent.test', timeout: TIMEOUT_S },
    { signal: controller.signal },
  );
  assert.ok(Date.now() - started < cancelAt + PROMPT_MS);
  assert.equal(observation.cut?.reason, 'cancelled');
  assert.equal(observation.endpoints[0]!.error?.code, 'cancelled');
});

test("a cancel while waiting in the connection gate's line ends the wait, and the address is never dialled for it", async () => {
  const gate = createConnectionGate({ perAddress: 1 });
  const before = silent.connections.length;
  // Another check holds the only slot for the address until the deadline ends it.
  const holder = runCheck(dns, silent.port, { domain: 'silent.test', timeout: TIMEOUT_S }, { gate, deadlineMs: 2000 });
  while (silent.connections.length === before) await new Promise((r) => setTimeout(r, 10));
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const started = Date.now();
  const { observation, states } = await runCheck(
    dns,
    silent.port,
    { domain: 'silent2.test', timeout: TIMEOUT_S },
    { gate, signal: controller.signal },
  );
  assert.ok(Date.now() - started < 200 + PROMPT_MS, 'the cancel ended the wait');
  const [e] = observation.endpoints;
  assert.equal(e!.connected, false);
  assert.deepEqual(e!.error, { code: 'cancelled', phase: 'connect', message: 'not probed: the check was cancelled' });
  assert.ok(findings(states).includes(`UNKNOWN smtp.endpoint.not_probed ${SILENT_HOST}:${silent.port}`));
  await holder;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(silent.connections.length, before + 1, 'the slot handed over later was given back unused');
});

test('collectMany() honours the signal: the batch returns promptly, its probes recorded as cancelled', async () => {
  const controller = new AbortController();
  // Cut once the first session holds the silent server (not on a timer: DNS on a loaded machine may take longer).
  const before = silent.connections.length;
  const watch = setInterval(() => {
    if (silent.connections.length > before) controller.abort();
  }, 20);
  const started = Date.now();
  const observations = await collectMany(['silent.test', 'silent2.test'], {
    resolver: parseResolver(dns.address),
    port: silent.port,
    options: { timeout: TIMEOUT_S },
    egressCanary: [],
    domainsPerSession: 1,
    signal: controller.signal,
  }).finally(() => clearInterval(watch));
  assert.ok(Date.now() - started < TIMEOUT_S * 1000, 'cut long before the endpoint budget');
  assert.deepEqual(
    observations.map((o) => o.cut?.reason),
    ['cancelled', 'cancelled'],
  );
  assert.equal(observations[0]!.endpoints[0]?.error?.code, 'cancelled', 'the dialogue held by the silent server');
  for (const o of observations) {
    assert.ok(
      o.endpoints.every((e) => e.error?.code === 'cancelled'),
      `${o.domain}: every endpoint recorded as cancelled`,
    );
  }
});

test('a signal already aborted sends nothing: no DNS question, no connection', async () => {
  const queries = dns.queries.length;
  const connections = silent.connections.length;
  const { observation } = await runCheck(
    dns,
    silent.port,
    { domain: 'silent.test', timeout: TIMEOUT_S },
    { signal: AbortSignal.abort() },
  );
  assert.equal(observation.cut?.reason, 'cancelled');
  assert.ok(observation.cut!.after_ms < 50, 'cut at the start');
  assert.equal(observation.dns.mx_error?.message, 'not answered: the check was cancelled');
  assert.equal(dns.queries.length, queries);
  assert.equal(silent.connections.length, connections);
});
