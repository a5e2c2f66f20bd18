/**
 * Hostile clients, part 1: relay-probe amplification. A zone may publish any
 * number of MX names, each with any number of addresses, and each address
 * would get a connection and a RCPT TO of the caller's choice. One check must
 * cost a bounded number of connections (at most 10 MX targets, by preference,
 * and MAX endpoints in all), what it leaves out must be recorded (never
 * silently skipped), the rate limit must count endpoints, and the /check page
 * must not send a recipient its visitor chose.
 *
 * The zone: 32 MX names × 64 IPv4 addresses (2 048 endpoints), the first 10
 * names' 640 addresses listening and counting (each greets 554 and closes).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import type { DnsRecord } from '../peers/dns-records.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { runCheck } from '../integration/harness.js';
import { postJson } from '../server/service-harness.js';
import { DEFAULT_MAX_ENDPOINTS, MAX_CAPPED_LISTED, MAX_MX_TARGETS } from '../../src/model/limits.js';
import { Status } from '../../src/model/status.js';
import { addresses, serviceWithGate, startCountingPeers, type CountingPeers } from './collect-peers.js';

const DOMAIN = 'amp.test';
const MX_NAMES = 32;
const ADDRESSES_PER_MX = 64;
const mxName = (k: number) => `mx${String(k).padStart(2, '0')}.${DOMAIN}`;
/** MX k's addresses: 127.61.k.1–64. */
const mxAddresses = (k: number) => addresses(61, k, ADDRESSES_PER_MX);
/** A domain with one counting address, to spend a little of a budget. */
const SMALL = { domain: 'small.amp-client.test', address: '127.61.100.1' };
const RELAY = { domain: 'relay.amp-client.test', address: '127.61.101.1' };
/** A generous bound for one check of 32 endpoints that each greet 554 at once, on a loaded 2-core machine. */
const CHECK_WITHIN_MS = 10_000;

let dns: DnsServer;
let peers: CountingPeers;
let relayPeer: ScenarioPeer;

function zone(): DnsRecord[] {
  const records: DnsRecord[] = [];
  for (let k = 1; k <= MX_NAMES; k++) {
    records.push({ name: DOMAIN, type: 'MX', priority: k * 10, exchange: mxName(k) });
    for (const address of mxAddresses(k)) records.push({ name: mxName(k), type: 'A', address });
  }
  return records;
}

before(async () => {
  const listening = [...Array.from({ length: MAX_MX_TARGETS }, (_, i) => mxAddresses(i + 1)).flat(), SMALL.address];
  peers = await startCountingPeers(listening, 'greet');
  relayPeer = await scenarios.healthy({ host: RELAY.address, port: peers.port, domain: RELAY.domain });
  dns = await startDnsServer([
    ...zone(),
    { name: SMALL.domain, type: 'MX', priority: 10, exchange: `mx.${SMALL.domain}` },
    { name: `mx.${SMALL.domain}`, type: 'A', address: SMALL.address },
    ...mailDomainRecords(RELAY.domain, [{ name: `mx.${RELAY.domain}`, addresses: [RELAY.address] }]),
  ]);
});
after(async () => {
  await relayPeer?.close();
  await peers?.close();
  await dns?.close();
});

/** Which MX name an address belongs to (1-based), from 127.61.k.i. */
const mxOf = (address: string) => Number(address.split('.')[2]);

test('a zone of 32 MX × 64 A costs one check at most 10 MX targets and 32 connections, spread over every MX host', async () => {
  const before = peers.total();
  const queriesBefore = dns.queries.length;
  const started = Date.now();
  const { observation: obs, states } = await runCheck(dns, peers.port, { domain: DOMAIN });
  assert.ok(Date.now() - started < CHECK_WITHIN_MS, `the check took ${Date.now() - started} ms`);

  // Bound: DEFAULT_MAX_ENDPOINTS connections, one per endpoint dialled.
  assert.equal(peers.total() - before, DEFAULT_MAX_ENDPOINTS);
  const dialled = obs.endpoints.filter((e) => e.error?.code !== 'policy.capped');
  assert.equal(dialled.length, DEFAULT_MAX_ENDPOINTS);
  // Spread in rounds: each of the 10 MX hosts gets 3 or 4 of the 32, never one host all of them.
  const perMx = new Map<number, number>();
  for (const e of dialled) perMx.set(mxOf(e.address), (perMx.get(mxOf(e.address)) ?? 0) + 1);
  assert.deepEqual(
    [...perMx.keys()].sort((a, b) => a - b),
    Array.from({ length: MAX_MX_TARGETS }, (_, i) => i + 1),
  );
  assert.ok(
    [...perMx.values()].every((n) => n === 3 || n === 4),
    JSON.stringify([...perMx]),
  );

  // MX names: the 10 best looked up and probed, the 22 others listed as not probed and never asked about.
  assert.deepEqual(
    obs.dns.mx.map((t) => t.name),
    Array.from({ length: MAX_MX_TARGETS }, (_, i) => mxName(i + 1)),
  );
  assert.equal(obs.dns.mx_not_probed.length, MX_NAMES - MAX_MX_TARGETS);
  assert.ok(
    obs.dns.mx_not_probed.every((t) => t.reason === 'capped' && /over the cap of 10 MX targets/.test(t.message)),
  );
  const asked = dns.queries.slice(queriesBefore);
  const askedNames = new Set(asked.map((q) => q.name.toLowerCase()));
  for (let k = MAX_MX_TARGETS + 1; k <= MX_NAMES; k++) assert.ok(!askedNames.has(mxName(k)), `${mxName(k)} was asked`);

  // Endpoints over the cap: recorded, never dialled, no PTR asked; the first MAX_CAPPED_LISTED one by one.
  const capped = obs.endpoints.filter((e) => e.error?.code === 'policy.capped');
  assert.equal(capped.length, MAX_CAPPED_LISTED);
  assert.equal(obs.caps.endpoints_over_cap, MAX_MX_TARGETS * ADDRESSES_PER_MX - DEFAULT_MAX_ENDPOINTS);
  assert.ok(capped.every((e) => !e.connected && e.timings.connect_ms === null));
  assert.match(capped[0]!.error!.message, /^not probed: over the cap of 32 endpoints per check/);
  const ptrQuestions = asked.filter((q) => q.type === 'PTR').length;
  assert.ok(ptrQuestions <= DEFAULT_MAX_ENDPOINTS, `${ptrQuestions} PTR questions`);

  // The rules say it, UNKNOWN, and never blame those endpoints.
  const notProbed = states.filter((s) => s.code === 'smtp.endpoint.not_probed');
  assert.equal(notProbed.length, MAX_CAPPED_LISTED + 1, 'one per listed endpoint, one for the rest');
  assert.ok(notProbed.every((s) => s.status === Status.UNKNOWN));
  assert.match(
    notProbed.find((s) => s.subject === DOMAIN)!.message,
    /576 more addresses of amp\.test's MX hosts were not probed either: over the cap of 32 endpoints per check/,
  );
  const mxNotProbed = states.filter((s) => s.code === 'smtp.mx.not_probed');
  assert.equal(mxNotProbed.length, MX_NAMES - MAX_MX_TARGETS);
  const cappedSubjects = new Set(capped.map((e) => e.subject));
  assert.ok(
    !states.some((s) => cappedSubjects.has(s.subject ?? '') && s.code !== 'smtp.endpoint.not_probed'),
    'no other finding about a capped endpoint',
  );
});

test('--max-endpoints (maxEndpoints) sets the cap: 5 endpoints, 5 connections', async () => {
  const before = peers.total();
  const { observation: obs } = await runCheck(dns, peers.port, { domain: DOMAIN }, { maxEndpoints: 5 });
  assert.equal(peers.total() - before, 5);
  assert.equal(obs.caps.max_endpoints, 5);
  assert.equal(obs.caps.endpoints_over_cap, MAX_MX_TARGETS * ADDRESSES_PER_MX - 5);
  // Five rounds of one address per MX host cover the five best hosts.
  assert.deepEqual(
    obs.endpoints.filter((e) => e.error?.code !== 'policy.capped').map((e) => mxOf(e.address)),
    [1, 2, 3, 4, 5],
  );
  await assert.rejects(
    runCheck(dns, peers.port, { domain: DOMAIN }, { maxEndpoints: 0 }),
    /endpoint cap must be a whole number from 1 to 256, got 0/,
  );
});

test('an anonymous /check of the zone opens at most 32 connections and the report says what was left out', async () => {
  const { app } = await serviceWithGate(dns, peers.port);
  try {
    const before = peers.total();
    const res = await app.inject({
      method: 'POST',
      url: '/check',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ form: '1', domain: DOMAIN, timeout: '3' }).toString(),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(peers.total() - before, DEFAULT_MAX_ENDPOINTS);
    assert.match(res.body, /not probed: over the cap of 32 endpoints per check/);
    assert.match(res.body, /not probed: over the cap of 10 MX targets per check/);
  } finally {
    await app.close();
  }
});

test('the rate limit counts endpoints: a second check of the zone is refused 429 before dialling, a small one still runs', async () => {
  const { app } = await serviceWithGate(dns, peers.port, { rateLimit: '40' });
  try {
    const before = peers.total();
    const first = await postJson(app, '/collect', { options: { domain: DOMAIN, timeout: 3 } });
    assert.equal(first.statusCode, 200);
    assert.equal(peers.total() - before, DEFAULT_MAX_ENDPOINTS, 'the first check spent 32 of 40');

    const second = await postJson(app, '/collect', { options: { domain: DOMAIN, timeout: 3 } });
    assert.equal(second.statusCode, 429);
    assert.match(
      second.json().error,
      /this check would probe 32 endpoints and this client has 8 left; this checker probes at most 40 endpoints per minute per client/,
    );
    assert.ok(Number(second.headers['retry-after']) > 0, 'Retry-After');
    assert.equal(peers.total() - before, DEFAULT_MAX_ENDPOINTS, 'nothing dialled for the refused check');

    const small = await postJson(app, '/collect', { options: { domain: SMALL.domain, timeout: 3 } });
    assert.equal(small.statusCode, 200, 'one endpoint fits in what is left');
    assert.equal(peers.accepted.get(SMALL.address), 1);

    // Another client has its own budget.
    const other = await app.inject({
      method: 'POST',
      url: '/collect',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ options: { domain: DOMAIN, timeout: 3 } }),
      remoteAddress: '127.61.250.9',
    });
    assert.equal(other.statusCode, 200);
  } finally {
    await app.close();
  }
});

test('/check sends the default relay-probe recipient whatever the visitor typed, and shows no such field', async () => {
  const { app } = await serviceWithGate(dns, peers.port);
  try {
    const form = await app.inject({ method: 'GET', url: '/check' });
    assert.doesNotMatch(form.body, /name="test_probe_address"/);
    const res = await app.inject({
      method: 'POST',
      url: '/check',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        form: '1',
        domain: RELAY.domain,
        timeout: '3',
        test_null_sender: 'on',
        test_postmaster: 'on',
        test_open_relay: 'on',
        test_probe_address: 'victim@chosen.example',
      }).toString(),
    });
    assert.equal(res.statusCode, 200);
    assert.ok(relayPeer.commands.includes('RCPT TO:<postmaster@example.com>'), relayPeer.commands.join(' | '));
    assert.ok(
      !relayPeer.commands.some((c) => c.includes('chosen.example')),
      'the chosen recipient never reached the wire',
    );
  } finally {
    await app.close();
  }
});
