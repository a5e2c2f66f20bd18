/**
 * The service driven exactly as happyDomain's remote-checker client drives
 * it (PROTOCOL.md, "What the happyDomain host really does"): Go's HTTP
 * client, so Content-Type and no Accept or Authorization (credentials only
 * from the endpoint URL, as HTTP Basic), bodies as Go's encoding/json writes
 * them (target {}, domain_name as an FQDN, the host's own endpoint option,
 * the whole service object with the host's fields, enabledRules naming every
 * rule), and the SDK server's status codes. Real sockets on loopback.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { ruleDescriptions } from '../../src/rules/index.js';
import type { Observation } from '../../src/model/observation.js';
import { listenService, request, type Answer, type Listening } from '../hostile-client/http-clients.js';

const HOST = '127.0.0.140';
const ZONE = 'hd.test';
const TOKEN = 'host-token';

let dns: DnsServer;
let peer: ScenarioPeer;
let svc: Listening;

before(async () => {
  dns = await startDnsServer([]);
  peer = await scenarios.healthy({ host: HOST, port: 0, domain: ZONE, mxName: `mx1.${ZONE}` });
  // The zone publishes no MX: only the service object the host sends names mx1.
  dns.set({ type: 'A', name: `mx1.${ZONE}`, address: HOST });
  svc = await listenService({ token: TOKEN }, { dns, smtpPort: peer.port });
});
after(async () => {
  await svc?.close();
  await peer?.close();
  await dns?.close();
});

/** What Go's net/http client sends with the request the host builds: no Accept, no Authorization of its own. */
const GO_HEADERS = {
  'content-type': 'application/json',
  'user-agent': 'Go-http-client/1.1',
  'accept-encoding': 'gzip',
};

/** A POST as the host makes it to `http://happydomain:TOKEN@checker/…`: Basic from the URL's credentials. */
const hostPost = (path: string, body: string, headers: Record<string, string> = GO_HEADERS): Promise<Answer> =>
  request(svc.port, path, { method: 'POST', headers, body, auth: `happydomain:${TOKEN}` });

/** The MX service as the host serialises a stored svcs.MXs service (ServiceMessage: meta fields, then Service). */
const SERVICE = {
  _svctype: 'svcs.MXs',
  _id: 'V2hhdGV2ZXI',
  _ownerid: 'T3duZXI',
  _domain: '',
  _ttl: 3600,
  _comment: 'mail',
  _tmp_hint_nb: 1,
  Service: { mx: [{ Hdr: { Name: '', Rrtype: 15, Class: 1, Ttl: 3600, Rdlength: 0 }, Preference: 10, Mx: 'mx1' }] },
};

/** Every rule listed, as sdk.EnabledRulesFromContext gives it. */
const ENABLED_RULES = Object.fromEntries(ruleDescriptions().map((r) => [r.name, true]));

test('POST /collect as the Go client sends it: target {}, FQDN domain_name, the endpoint option, the full service, every rule', async () => {
  const body = JSON.stringify({
    key: 'smtp',
    target: {},
    options: {
      domain: `${ZONE}.`,
      endpoint: 'http://checker-smtp:8080',
      service: SERVICE,
      timeout: 5,
      test_open_relay: true,
    },
    enabledRules: ENABLED_RULES,
  });
  const res = await hostPost('/collect', body);
  assert.equal(res.status, 200, res.body);
  const { data, entries } = JSON.parse(res.body) as { data: Observation; entries: { ref: string }[] };
  assert.equal(data.domain, ZONE, 'the trailing dot is not part of the domain');
  assert.equal(data.dns.source, 'service');
  assert.deepEqual(
    data.dns.mx.map((m) => m.name),
    [`mx1.${ZONE}`],
  );
  assert.equal(data.endpoints[0]!.starttls.ok, true);
  assert.ok(
    data.endpoints[0]!.transactions.some((t) => t.kind === 'open_relay'),
    'every rule on: every probe sent',
  );
  assert.deepEqual(
    entries.map((e) => e.ref),
    [`mx1.${ZONE}:${peer.port}`],
  );
});

test('POST /definition as precheck sends it: the stored options only, without auto-fill', async () => {
  const stored = { endpoint: 'http://checker-smtp:8080', timeout: '8', helo_name: 'mx-checker.example.net' };
  const ok = await hostPost('/definition', JSON.stringify({ options: stored }));
  assert.equal(ok.status, 200, ok.body);
  assert.deepEqual(JSON.parse(ok.body).precheck_failures, {});
  const off = await hostPost('/definition', JSON.stringify({ options: { ...stored, test_open_relay: false } }));
  assert.deepEqual(Object.keys(JSON.parse(off.body).precheck_failures), ['smtp.open_relay']);
});

test('"options": null, as Go writes a nil map, is no options on every route that takes them', async () => {
  const definition = await hostPost('/definition', '{"options":null}');
  assert.equal(definition.status, 200);
  const collect = await hostPost('/collect', '{"key":"smtp","target":{},"options":null}');
  assert.equal(collect.status, 400);
  assert.match(JSON.parse(collect.body).error, /^Option domain is required/, 'judged as no options, not as a bad body');
  const evaluate = await hostPost(
    '/evaluate',
    JSON.stringify({ observations: { smtp: (await collected()).data }, options: null }),
  );
  assert.equal(evaluate.status, 200, evaluate.body);
  assert.ok((JSON.parse(evaluate.body) as { states: unknown[] }).states.length >= 16);
});

test('an empty body of length 0 is taken as {} on every POST route, whatever its content type', async () => {
  const expected: [string, number, RegExp | null][] = [
    ['/definition', 200, null],
    ['/collect', 400, /^Option domain is required/],
    ['/evaluate', 400, /^Invalid request: body must have required property 'observations'/],
    ['/report', 400, /^Invalid request: body must have required property 'data'/],
  ];
  for (const contentType of ['application/json', 'text/plain', 'application/octet-stream', undefined]) {
    for (const [path, status, error] of expected) {
      const headers: Record<string, string> = {
        'content-length': '0',
        ...(contentType ? { 'content-type': contentType } : {}),
      };
      const res = await hostPost(path, '', headers);
      assert.equal(res.status, status, `${path} with ${contentType ?? 'no content type'}: ${res.body}`);
      if (error) assert.match(JSON.parse(res.body).error, error, path);
    }
  }
});

test('answers as the SDK server: 405 with Allow, 404 in text, 400 {error} for a malformed body', async () => {
  const wrongMethod = await request(svc.port, '/collect', { auth: `happydomain:${TOKEN}` });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers['allow'], 'POST');
  const unknown = await hostPost('/collects', '{}');
  assert.equal(unknown.status, 404);
  assert.match(String(unknown.headers['content-type']), /^text\/plain/);
  const malformed = await hostPost('/collect', '{"key":"smtp",');
  assert.equal(malformed.status, 400);
  assert.match(JSON.parse(malformed.body).error, /^Request body is not valid JSON/);
});

async function collected(): Promise<{ data: Observation }> {
  const res = await hostPost(
    '/collect',
    JSON.stringify({ key: 'smtp', target: {}, options: { domain: `${ZONE}.`, service: SERVICE, timeout: 5 } }),
  );
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body) as { data: Observation };
}
