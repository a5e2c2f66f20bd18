/**
 * Hostile clients, part 3: queue starvation. Checks of domains whose every
 * address is a tarpit (accepts, never greets) hold their connection slots
 * for a whole endpoint budget. They must not make an unrelated check wait
 * for them (fair sharing in the connection gate), a probe must not wait in
 * line forever (recorded as not probed past the wait limit), and one client
 * cannot run more than its share of checks at once (429 at once).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import type { DnsRecord } from '../peers/dns-records.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { runCheck } from '../integration/harness.js';
import { createConnectionGate } from '../../src/collect/connection-gate.js';
import { Status } from '../../src/model/status.js';
import { addresses, serviceWithGate, startCountingPeers, until, type CountingPeers } from './collect-peers.js';

/** Five tarpit domains of 16 addresses each (127.63.R.1–16), one per client. */
const TARPIT_DOMAINS = 5;
const TARPITS_EACH = 16;
const tarpitDomain = (r: number) => `tarpit${r}.fair.test`;
const tarpitAddresses = (r: number) => addresses(63, r, TARPITS_EACH);
/** A gate of 64 slots: the last quarter (16) is kept for checks holding fewer than 4 connections. */
const GATE_SLOTS = 64;
/** Tarpit budget: the time an unfair gate would make the unrelated check wait. */
const TARPIT_BUDGET_S = 3;
/** Bound: the unrelated check's whole run (DNS, TLS, three transactions) while the tarpits hold the gate. */
const UNRELATED_WITHIN_MS = 1500;
const HEALTHY = { domain: 'unrelated.fair.test', address: '127.63.90.1' };
const WAIT_DOMAIN = { domain: 'queued.fair.test', addresses: addresses(63, 20, 4) };

let dns: DnsServer;
let tarpits: CountingPeers;
let healthy: ScenarioPeer;

before(async () => {
  tarpits = await startCountingPeers(
    [...Array.from({ length: TARPIT_DOMAINS }, (_, i) => tarpitAddresses(i + 1)).flat(), ...WAIT_DOMAIN.addresses],
    'tarpit',
  );
  healthy = await scenarios.healthy({ host: HEALTHY.address, port: tarpits.port, domain: HEALTHY.domain });
  const records: DnsRecord[] = [];
  for (let r = 1; r <= TARPIT_DOMAINS; r++) {
    records.push({ name: tarpitDomain(r), type: 'MX', priority: 10, exchange: `mx.${tarpitDomain(r)}` });
    for (const address of tarpitAddresses(r)) records.push({ name: `mx.${tarpitDomain(r)}`, type: 'A', address });
  }
  records.push({ name: WAIT_DOMAIN.domain, type: 'MX', priority: 10, exchange: `mx.${WAIT_DOMAIN.domain}` });
  for (const address of WAIT_DOMAIN.addresses) records.push({ name: `mx.${WAIT_DOMAIN.domain}`, type: 'A', address });
  dns = await startDnsServer([
    ...records,
    ...mailDomainRecords(HEALTHY.domain, [{ name: `mx.${HEALTHY.domain}`, addresses: [HEALTHY.address] }]),
  ]);
});
after(async () => {
  await healthy?.close();
  await tarpits?.close();
  await dns?.close();
});

const collectFrom = (app: { inject: (o: object) => Promise<LightMyRequestResponse> }, domain: string, client: string) =>
  app.inject({
    method: 'POST',
    url: '/collect',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ options: { domain, timeout: TARPIT_BUDGET_S } }),
    remoteAddress: client,
  });

test('an unrelated check finishes fast while tarpit checks from five clients fill the connection gate', async () => {
  const { app, gate } = await serviceWithGate(dns, tarpits.port, { maxConnections: String(GATE_SLOTS) });
  try {
    const hogs = Array.from({ length: TARPIT_DOMAINS }, (_, i) =>
      collectFrom(app, tarpitDomain(i + 1), `127.63.100.${i + 1}`),
    );
    // Three checks take 16 each (up to the reserve), two more their first 4: 56 held, 24 waiting.
    await until('the tarpits to fill the gate up to the reserve', () => gate.stats().open === 56);
    await until('the rest to wait in line', () => gate.stats().queued === 24);
    const started = Date.now();
    const res = await collectFrom(app, HEALTHY.domain, '127.63.100.99');
    const took = Date.now() - started;
    assert.equal(res.statusCode, 200);
    const [endpoint] = res.json().data.endpoints;
    assert.equal(endpoint.greeting?.code, 220, 'probed in full');
    assert.ok(took < UNRELATED_WITHIN_MS, `the unrelated check took ${took} ms beside the tarpits`);
    assert.ok(gate.stats().open >= 56, 'the tarpits still held their slots meanwhile');
    const answers = await Promise.all(hogs);
    assert.ok(answers.every((a) => a.statusCode === 200));
    assert.equal(gate.stats().peakOpen <= GATE_SLOTS, true);
  } finally {
    await app.close();
  }
});

test('a probe that waits longer than the wait limit is recorded as not probed, and the check ends on time', async () => {
  const gate = createConnectionGate({ maxOpen: 2 });
  const started = Date.now();
  const { observation: obs, states } = await runCheck(
    dns,
    tarpits.port,
    { domain: WAIT_DOMAIN.domain, timeout: 2 },
    { gate, maxQueueWaitMs: 300 },
  );
  const took = Date.now() - started;
  const codes = obs.endpoints.map((e) => e.error?.code).sort();
  assert.deepEqual(codes, ['queue.timeout', 'queue.timeout', 'timeout', 'timeout']);
  const queued = obs.endpoints.filter((e) => e.error?.code === 'queue.timeout');
  assert.ok(
    queued.every((e) => !e.connected && e.timings.connect_ms === null),
    'never dialled',
  );
  assert.match(queued[0]!.error!.message, /^not probed: waited 0\.3 s for a connection slot/);
  const said = states.filter((s) => s.code === 'smtp.endpoint.not_probed');
  assert.deepEqual(
    said.map((s) => s.status),
    [Status.UNKNOWN, Status.UNKNOWN],
  );
  assert.ok(!states.some((s) => s.status === Status.CRIT && queued.some((e) => e.subject === s.subject)));
  // Bound: one endpoint budget (the two tarpits) plus a margin; never the two budgets a second round would cost.
  assert.ok(took < 2000 + 1500, `the check took ${took} ms`);
});

test('a client past its checks at once gets 429 at once, nothing dialled; another client still gets in', async () => {
  const { app, gate } = await serviceWithGate(dns, tarpits.port, { maxChecksPerClient: '2' });
  try {
    const client = '127.63.101.1';
    const running = [collectFrom(app, tarpitDomain(1), client), collectFrom(app, tarpitDomain(2), client)];
    await until('both checks to hold their slots', () => gate.stats().open === 2 * TARPITS_EACH);
    await until('the tarpits to see those connections', () => tarpits.open() === 2 * TARPITS_EACH);
    const dialled = tarpits.total();
    const started = Date.now();
    const third = await collectFrom(app, tarpitDomain(3), client);
    assert.equal(third.statusCode, 429);
    assert.ok(Date.now() - started < 500, 'refused at once');
    assert.match(third.json().error, /Too many checks at once: this client already runs 2/);
    assert.ok(Number(third.headers['retry-after']) > 0, 'Retry-After');
    assert.equal(tarpits.total(), dialled, 'nothing dialled for it');
    const other = collectFrom(app, tarpitDomain(3), '127.63.101.2');
    await until('the other client to be probing', () => gate.stats().open === 3 * TARPITS_EACH);
    assert.ok((await Promise.all([...running, other])).every((r) => r.statusCode === 200));
    const after = await collectFrom(app, HEALTHY.domain, client);
    assert.equal(after.statusCode, 200, 'the client may check again once its checks finished');
  } finally {
    await app.close();
  }
});
