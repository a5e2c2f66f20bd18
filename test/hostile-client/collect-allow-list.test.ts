/**
 * Hostile clients, part 5: the allow-list covers every MX name, not only the
 * domain. With only good.test allowed, a host payload naming another MX host
 * is refused (403) before any question or connection; MX names looked up
 * live outside the list are recorded as not probed, never looked up.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mxService, postJson } from '../server/service-harness.js';
import { Status, type CheckState } from '../../src/model/status.js';
import { evaluate } from '../../src/rules/index.js';
import type { Observation } from '../../src/model/observation.js';
import { serviceWithGate, startCountingPeers, type CountingPeers } from './collect-peers.js';

const GOOD = { mx: 'mx.good.test', address: '127.65.0.2' };
const OTHER = { mx: 'mx.other.test', address: '127.65.0.1' };

let dns: DnsServer;
let peers: CountingPeers;
let app: FastifyInstance;

before(async () => {
  peers = await startCountingPeers([GOOD.address, OTHER.address], 'greet');
  dns = await startDnsServer([
    { name: 'good.test', type: 'MX', priority: 10, exchange: GOOD.mx },
    { name: 'good.test', type: 'MX', priority: 20, exchange: OTHER.mx },
    { name: GOOD.mx, type: 'A', address: GOOD.address },
    { name: OTHER.mx, type: 'A', address: OTHER.address },
    { name: 'elsewhere.good.test', type: 'MX', priority: 10, exchange: OTHER.mx },
  ]);
  ({ app } = await serviceWithGate(dns, peers.port, { allowedDomains: 'good.test' }));
});
after(async () => {
  await app?.close();
  await peers?.close();
  await dns?.close();
});

const askedAbout = (name: string, since: number) => dns.queries.slice(since).some((q) => q.name.toLowerCase() === name);

test('a service payload naming an MX host outside the allowed domains is refused 403, nothing asked or dialled', async () => {
  const queries = dns.queries.length;
  const res = await postJson(app, '/collect', {
    options: { domain: 'good.test', timeout: 2, service: mxService([[10, `${OTHER.mx}.`]]) },
  });
  assert.equal(res.statusCode, 403);
  assert.match(
    res.json().error,
    /MX target "mx\.other\.test" of the service is not in this checker's list of allowed domains/,
  );
  assert.equal(peers.total(), 0);
  assert.equal(dns.queries.length, queries, 'not even a DNS question');
  // A payload whose MX names are all inside the list goes through.
  const ok = await postJson(app, '/collect', {
    options: { domain: 'good.test', timeout: 2, service: mxService([[10, 'mx']]) },
  });
  assert.equal(ok.statusCode, 200);
  assert.equal(peers.accepted.get(GOOD.address), 1);
  assert.equal(peers.accepted.get(OTHER.address) ?? 0, 0);
});

test('MX names looked up live outside the allowed domains are recorded as not probed and never looked up', async () => {
  const queries = dns.queries.length;
  const before = peers.accepted.get(GOOD.address) ?? 0;
  const res = await postJson(app, '/collect', { options: { domain: 'good.test', timeout: 2 } });
  assert.equal(res.statusCode, 200);
  const obs: Observation = res.json().data;
  assert.deepEqual(
    obs.dns.mx.map((t) => t.name),
    [GOOD.mx],
  );
  assert.deepEqual(obs.dns.mx_not_probed, [
    {
      preference: 20,
      name: OTHER.mx,
      reason: 'not_allowed',
      message: "not probed: mx.other.test is outside this checker's list of allowed domains",
    },
  ]);
  assert.equal((peers.accepted.get(GOOD.address) ?? 0) - before, 1);
  assert.equal(peers.accepted.get(OTHER.address) ?? 0, 0, 'never dialled');
  assert.ok(!askedAbout(OTHER.mx, queries), 'never looked up');
  const said = evaluate(obs).find((s: CheckState) => s.code === 'smtp.mx.not_probed');
  assert.equal(said?.status, Status.UNKNOWN);
  assert.match(String(said!.meta?.['fix']), /--allowed-domains/);
});

test('a domain whose every MX host is outside the list still publishes MX: nothing probed, nothing blamed', async () => {
  const res = await postJson(app, '/collect', { options: { domain: 'elsewhere.good.test', timeout: 2 } });
  assert.equal(res.statusCode, 200);
  const obs: Observation = res.json().data;
  assert.equal(obs.endpoints.length, 0);
  const states = evaluate(obs);
  assert.equal(states.find((s) => s.rule === 'smtp.mx_present')?.status, Status.OK);
  assert.ok(!states.some((s) => s.status === Status.CRIT), states.map((s) => s.code).join(', '));
  assert.equal(peers.accepted.get(OTHER.address) ?? 0, 0);
});
