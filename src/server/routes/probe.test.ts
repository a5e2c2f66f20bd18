/**
 * GET /probe?target= and GET /metrics in-process against real loopback DNS
 * and SMTP peers: the scrape read by an exposition parser (and Prometheus'
 * own promtool where installed), the scrape timeout bounding the check, the
 * guards of a work route, and the service's own counters moving.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../../../test/peers/dns-server.js';
import { mailDomainRecords } from '../../../test/peers/dns-records.js';
import { startOnSamePort } from '../../../test/peers/listen.js';
import { scenarios, type ScenarioPeer } from '../../../test/peers/smtp-scenarios.js';
import { startService } from '../../../test/server/service-harness.js';
import {
  parseExposition,
  promtoolMissing,
  promtoolProblems,
  sampleValue,
} from '../../../test/support/prometheus-format.js';
import { scrapeDeadlineMs, SCRAPE_MARGIN_MS } from './probe.js';

const HOSTS = ['127.66.0.10', '127.66.0.11', '127.66.0.12'];
const HEALTHY = 'healthy.probe.test';
const RELAY = 'relay.probe.test';
const SILENT = 'silent.probe.test';

let dns: DnsServer;
let peers: ScenarioPeer[];
let port: number;
let app: FastifyInstance;
const apps: FastifyInstance[] = [];

before(async () => {
  dns = await startDnsServer([]);
  ({ peers, port } = await startOnSamePort([
    (p: number) => scenarios.healthy({ host: HOSTS[0]!, port: p, domain: HEALTHY, mxName: `mx.${HEALTHY}` }),
    (p: number) => scenarios.openRelay({ host: HOSTS[1]!, port: p, domain: RELAY, mxName: `mx.${RELAY}` }),
    (p: number) => scenarios.silent({ host: HOSTS[2]!, port: p, domain: SILENT, mxName: `mx.${SILENT}` }),
  ]));
  dns.set(
    ...mailDomainRecords(HEALTHY, [{ name: `mx.${HEALTHY}`, addresses: [HOSTS[0]!] }]),
    ...mailDomainRecords(RELAY, [{ name: `mx.${RELAY}`, addresses: [HOSTS[1]!] }]),
    ...mailDomainRecords(SILENT, [{ name: `mx.${SILENT}`, addresses: [HOSTS[2]!] }]),
  );
  app = await startService(dns, port);
});
after(async () => {
  await Promise.all([app, ...apps].map((a) => a.close()));
  await Promise.all(peers.map((p) => p.close()));
  await dns.close();
});

const probe = (a: FastifyInstance, target: string, headers: Record<string, string> = {}) =>
  a.inject({ method: 'GET', url: `/probe?target=${encodeURIComponent(target)}&module=smtp`, headers });

test('GET /probe of a healthy domain answers a scrape with probe_success 1 and the endpoint over TLS', async () => {
  const res = await probe(app, HEALTHY);
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
  const families = parseExposition(res.body);
  assert.equal(sampleValue(families, 'probe_success'), 1);
  assert.ok((sampleValue(families, 'probe_duration_seconds') ?? 0) > 0);
  const ep = { address: HOSTS[0]!, mx: `mx.${HEALTHY}` };
  assert.equal(sampleValue(families, 'smtp_endpoint_reachable', ep), 1);
  assert.equal(sampleValue(families, 'smtp_endpoint_starttls', ep), 1);
  assert.equal(sampleValue(families, 'smtp_endpoint_open_relay', ep), 0);
  assert.ok((sampleValue(families, 'smtp_endpoint_greeting_seconds', ep) ?? -1) >= 0);
});

test('GET /probe of an open relay answers probe_success 0, smtp_status 2 and the relay on its endpoint', async () => {
  const families = parseExposition((await probe(app, RELAY)).body);
  assert.equal(sampleValue(families, 'probe_success'), 0);
  assert.equal(sampleValue(families, 'smtp_status'), 2);
  assert.equal(sampleValue(families, 'smtp_endpoint_open_relay', { address: HOSTS[1]! }), 1);
});

test('the scrape timeout Prometheus sends bounds the check: a silent server is cut, the scrape still answered', async () => {
  const started = Date.now();
  const res = await probe(app, SILENT, { 'x-prometheus-scrape-timeout-seconds': '2' });
  const took = Date.now() - started;
  assert.equal(res.statusCode, 200);
  const families = parseExposition(res.body);
  assert.equal(sampleValue(families, 'probe_success'), 0);
  assert.equal(sampleValue(families, 'smtp_status'), 3, 'could not tell: UNKNOWN');
  // The endpoint budget is 12 s by default: without the header the check would run far past 2 s.
  assert.ok(took < 2000 + 1000, `answered in ${took} ms`);
});

test('scrapeDeadlineMs() keeps a margin, floors at 1 s and ignores a missing or bad header', () => {
  assert.equal(scrapeDeadlineMs('10'), 10_000 - SCRAPE_MARGIN_MS);
  assert.equal(scrapeDeadlineMs(['15', '1']), 15_000 - SCRAPE_MARGIN_MS);
  assert.equal(scrapeDeadlineMs('0.2'), 1_000);
  assert.equal(scrapeDeadlineMs(undefined), undefined);
  assert.equal(scrapeDeadlineMs('soon'), undefined);
  assert.equal(scrapeDeadlineMs('-5'), undefined);
});

test('GET /probe without a target is a 400 naming it, and nothing is dialled', async () => {
  const res = await app.inject({ method: 'GET', url: '/probe' });
  assert.equal(res.statusCode, 400);
  assert.match(res.json().error, /target/);
});

test('GET /probe is guarded like the other work routes: the token, and the target policy', async () => {
  const guarded = await startService(dns, port, { token: 'scrape-secret' });
  const policed = await startService(dns, port, { refusePrivateTargets: true });
  apps.push(guarded, policed);
  assert.equal((await probe(guarded, HEALTHY)).statusCode, 401);
  const ok = await probe(guarded, HEALTHY, { authorization: 'Bearer scrape-secret' });
  assert.equal(sampleValue(parseExposition(ok.body), 'probe_success'), 1);
  const refused = parseExposition((await probe(policed, HEALTHY)).body);
  assert.equal(sampleValue(refused, 'smtp_endpoint_reachable', { address: HOSTS[0]! }), 0, 'loopback never dialled');
  assert.equal(sampleValue(refused, 'probe_success'), 0);
});

test('GET /metrics counts requests by route and status, and probes by outcome', async () => {
  const fresh = await startService(dns, port);
  apps.push(fresh);
  await probe(fresh, HEALTHY);
  await fresh.inject({ method: 'GET', url: '/health' });
  await fresh.inject({ method: 'GET', url: '/no-such-page' });
  const res = await fresh.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  const families = parseExposition(res.body);
  assert.equal(sampleValue(families, 'checker_http_requests_total', { route: '/probe', status: '200' }), 1);
  assert.equal(sampleValue(families, 'checker_http_requests_total', { route: '/health', status: '200' }), 1);
  assert.equal(
    sampleValue(families, 'checker_http_requests_total', { route: 'unmatched', status: '404' }),
    1,
    'an unknown path is one series, not one per path',
  );
  assert.equal(sampleValue(families, 'checker_probes_total', { outcome: 'completed' }), 1);
  assert.equal(sampleValue(families, 'checker_collects_total', { cut: 'none' }), 1);
  assert.equal(sampleValue(families, 'checker_smtp_connections_open'), 0);
  assert.equal(sampleValue(families, 'checker_smtp_connections_queued'), 0);
  assert.ok(
    families.some((f) => f.name === 'process_resident_memory_bytes'),
    'process metrics included',
  );
  const histogram = families.find((f) => f.name === 'checker_http_request_duration_seconds');
  assert.equal(histogram?.type, 'HISTOGRAM');
});

/**
 * prom-client's default process metrics name three gauges `nodejs_active_*_total`, which promtool's
 * naming lint dislikes (an upstream choice); every other line, ours included, must pass.
 */
const PROM_CLIENT_DEFAULT_NAMES =
  /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;

test('promtool check metrics accepts /probe and /metrics', { skip: promtoolMissing()[0] ?? false }, async () => {
  const scrape = promtoolProblems((await probe(app, RELAY)).body);
  assert.deepEqual([scrape.status, scrape.output], [0, ''], `promtool on /probe: ${scrape.output}`);
  const own = promtoolProblems((await app.inject({ method: 'GET', url: '/metrics' })).body);
  const complaints = own.output.split('\n').filter((line) => line !== '' && !PROM_CLIENT_DEFAULT_NAMES.test(line));
  assert.deepEqual(complaints, [], `promtool on /metrics: ${own.output}`);
});
