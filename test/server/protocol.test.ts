/**
 * The host protocol (PROTOCOL.md) route by route, in-process, against real
 * loopback DNS and SMTP peers: status codes, error bodies, option coercion,
 * enabledRules, the MX service payload, precheck and eligibility.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { startOnSamePort } from '../peers/listen.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { validateObservation } from '../../src/model/observation-schema.js';
import type { Observation } from '../../src/model/observation.js';
import { FAST, mxService, startService } from './service-harness.js';

const HOSTS = ['127.0.0.120', '127.0.0.121', '127.0.0.122'];
const DOMAIN = 'svc.test';

let dns: DnsServer;
let peers: ScenarioPeer[];
let app: FastifyInstance;
let port: number;

before(async () => {
  dns = await startDnsServer([]);
  ({ peers, port } = await startOnSamePort(
    HOSTS.map(
      (host) => (p: number) =>
        scenarios.healthy({
          host,
          port: p,
          domain: DOMAIN,
          mxName: `mx.${DOMAIN}`,
          localDomains: ['zone.test', 'sub.zone.test'],
        }),
    ),
  ));
  dns.set(
    ...mailDomainRecords(DOMAIN, [{ name: `mx.${DOMAIN}`, addresses: [HOSTS[0]!] }]),
    // zone.test publishes no MX at all: only a service payload can make the checker probe its hosts.
    { type: 'A', name: 'mx1.zone.test', address: HOSTS[1]! },
    { type: 'A', name: 'zone.test', address: HOSTS[2]! },
    { type: 'A', name: 'mx.sub.zone.test', address: HOSTS[2]! },
  );
  app = await startService(dns, port);
});
after(async () => {
  await app?.close();
  await Promise.all((peers ?? []).map((p) => p.close()));
  await dns?.close();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    headers: { 'content-type': 'application/json', ...headers },
  });

function commandsTo(host: string): string[] {
  return peers[HOSTS.indexOf(host)]!.commands;
}

describe('GET /health', () => {
  test('answers status, uptime, CPUs, in-flight and total work, and three load averages', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.uptime_seconds, 'number');
    assert.ok(Number.isInteger(body.num_cpu) && body.num_cpu >= 1);
    assert.ok(Number.isInteger(body.inflight) && Number.isInteger(body.total_requests));
    assert.equal(body.loadavg.length, 3);
    assert.ok(body.loadavg.every((v: unknown) => typeof v === 'number'));
  });

  test('counts work requests in total_requests, not health probes', async () => {
    const before = (await app.inject({ method: 'GET', url: '/health' })).json().total_requests;
    await post('/definition', {});
    await app.inject({ method: 'GET', url: '/health' });
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).json().total_requests, before + 1);
  });
});

describe('GET /definition', () => {
  test('describes the checker: id, version, availability, options with autoFill, 16 rules, interval in ns', async () => {
    const res = await app.inject({ method: 'GET', url: '/definition' });
    assert.equal(res.statusCode, 200);
    const def = res.json();
    assert.equal(def.id, 'smtp');
    assert.equal(def.version, '0.1.0');
    assert.deepEqual(def.availability, { applyToService: true, limitToServices: ['svcs.MXs'] });
    const opts = Object.fromEntries(def.options.runOpts.map((o: { id: string }) => [o.id, o]));
    assert.deepEqual(Object.keys(opts), [
      'domain',
      'timeout',
      'helo_name',
      'test_null_sender',
      'test_postmaster',
      'test_open_relay',
      'test_probe_address',
      'service',
    ]);
    assert.equal(opts.domain.autoFill, 'domain_name');
    assert.equal(opts.service.autoFill, 'service');
    assert.equal(opts.timeout.default, 12);
    assert.equal(opts.helo_name.default, 'mx-checker.happydomain.org');
    assert.equal(opts.test_probe_address.default, 'postmaster@example.com');
    for (const o of def.options.runOpts)
      assert.ok(o.label && o.description, `option ${o.id} has a label and a description`);
    assert.equal(def.rules.length, 16);
    assert.ok(
      def.rules.every(
        (r: { name: string; description: string }) => r.name.startsWith('smtp.') && r.description.length > 10,
      ),
    );
    assert.deepEqual(def.interval, { min: 300_000_000_000, max: 604_800_000_000_000, default: 86_400_000_000_000 });
    assert.equal(def.has_html_report, true);
    assert.equal(def.has_metrics, true);
    assert.deepEqual(def.observationKeys, ['smtp']);
  });
});

describe('POST /definition', () => {
  test('accepts an empty body and reports no precheck failure for default options', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/definition',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().precheck_failures, {});
    assert.equal(res.json().id, 'smtp');
    assert.equal(res.json().eligible, undefined, 'no service payload: eligibility unknown');
  });

  test('names the rules a switched-off probe leaves without data, bools given as strings', async () => {
    const res = await post('/definition', {
      options: { domain: DOMAIN, test_open_relay: 'false', test_postmaster: 0 },
    });
    assert.deepEqual(Object.keys(res.json().precheck_failures).sort(), ['smtp.open_relay', 'smtp.postmaster']);
    assert.match(res.json().precheck_failures['smtp.open_relay'], /Option test_open_relay is off/);
  });

  test('reports eligibility from the MX service: records, none, or a null MX', async () => {
    const eligible = (
      await post('/definition', { options: { domain: 'zone.test', service: mxService([[10, 'mx1']]) } })
    ).json();
    assert.equal(eligible.eligible, true);
    const empty = (await post('/definition', { options: { domain: 'zone.test', service: mxService([]) } })).json();
    assert.equal(empty.eligible, false);
    assert.match(empty.eligibility_reason, /holds no MX record/);
    const nullMx = (
      await post('/definition', { options: { domain: 'zone.test', service: mxService([[0, '.']]) } })
    ).json();
    assert.equal(nullMx.eligible, false);
    assert.match(nullMx.eligibility_reason, /null MX \(RFC 7505\)/);
  });

  test('turns invalid options into precheck failures for every rule', async () => {
    const res = (await post('/definition', { options: { domain: DOMAIN, timeout: 'soon' } })).json();
    assert.equal(Object.keys(res.precheck_failures).length, 16);
    assert.match(res.precheck_failures['smtp.mx_present'], /Option timeout must be a number, got "soon"/);
  });
});

describe('POST /collect', () => {
  let collected: { data: Observation; entries: unknown[] };

  test('collects an observation and publishes one tls.endpoint.v1 entry per MX host', async () => {
    const res = await post('/collect', {
      key: 'smtp',
      target: { serviceType: 'svcs.MXs' },
      options: { domain: DOMAIN, ...FAST },
    });
    assert.equal(res.statusCode, 200, res.body);
    collected = res.json();
    assert.deepEqual(validateObservation(collected.data).errors, []);
    assert.equal(collected.data.domain, DOMAIN);
    assert.equal(collected.data.dns.source, 'live');
    assert.deepEqual(collected.entries, [
      {
        type: 'tls.endpoint.v1',
        ref: `mx.${DOMAIN}:${port}`,
        payload: { host: `mx.${DOMAIN}`, port, sni: `mx.${DOMAIN}`, starttls: 'smtp', require_starttls: false },
      },
    ]);
  });

  test('accepts numbers and bools typed as strings', async () => {
    const before = commandsTo(HOSTS[0]!).length;
    const res = await post('/collect', {
      options: { domain: DOMAIN, timeout: '3', test_open_relay: 'false', test_null_sender: 'true' },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data.options.timeout, 3);
    assert.equal(res.json().data.options.test_open_relay, false);
    const sent = commandsTo(HOSTS[0]!).slice(before);
    assert.ok(!sent.some((c) => c.includes('example.com')), 'no relay probe recipient was sent');
  });

  test('a disabled rule means its probe is not sent', async () => {
    const before = commandsTo(HOSTS[0]!).length;
    const res = await post('/collect', {
      options: { domain: DOMAIN, ...FAST },
      enabledRules: { 'smtp.open_relay': false, 'smtp.null_sender': false, 'smtp.postmaster': false },
    });
    assert.equal(res.statusCode, 200, res.body);
    const sent = commandsTo(HOSTS[0]!).slice(before);
    assert.ok(sent.includes('STARTTLS'), 'the endpoint was probed');
    assert.deepEqual(
      sent.filter((c) => /^(MAIL|RCPT)/.test(c)),
      [],
      'no transaction at all',
    );
    assert.deepEqual(
      res.json().data.endpoints[0].transactions.map((t: { outcome: string }) => t.outcome),
      ['skipped', 'skipped', 'skipped'],
    );
  });

  test('probes the MX records of the service payload, relative, absolute and "@", even when unpublished', async () => {
    const service = mxService([
      [10, 'mx1'],
      [20, 'mx1.zone.test.'],
      [30, '@'],
    ]);
    const res = await post('/collect', { options: { domain: 'zone.test', service, ...FAST } });
    assert.equal(res.statusCode, 200, res.body);
    const obs: Observation = res.json().data;
    assert.equal(obs.dns.source, 'service');
    // "mx1" and "mx1.zone.test." are one target: kept once, at its best preference.
    assert.deepEqual(
      obs.dns.mx.map((m) => [m.preference, m.name]),
      [
        [10, 'mx1.zone.test'],
        [30, 'zone.test'],
      ],
    );
    assert.deepEqual(
      obs.endpoints.map((e) => e.address),
      [HOSTS[1], HOSTS[2]],
    );
    assert.ok(obs.endpoints.every((e) => e.connected));
    assert.deepEqual(
      res.json().entries.map((e: { ref: string }) => e.ref),
      [`mx1.zone.test:${port}`, `zone.test:${port}`],
    );
  });

  test('puts the service subdomain before the domain: the zone is what is tested', async () => {
    const res = await post('/collect', {
      options: { domain: 'zone.test', service: mxService([[10, 'mx']], 'sub'), ...FAST },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data.domain, 'sub.zone.test');
    assert.deepEqual(
      res.json().data.dns.mx.map((m: { name: string }) => m.name),
      ['mx.sub.zone.test'],
    );
  });

  test('looks MX up live when the service carries no MX record', async () => {
    const res = await post('/collect', { options: { domain: DOMAIN, service: mxService([]), ...FAST } });
    assert.equal(res.json().data.dns.source, 'live');
  });

  test('refuses bad options with 400 and a clear error, sending nothing', async () => {
    const before = peers.reduce((n, p) => n + p.connections.length, 0);
    const cases: [unknown, RegExp][] = [
      [{ options: {} }, /Option domain is required/],
      [{ options: { domain: 'bad domain.test' } }, /Domain "bad domain.test" contains a space/],
      [{ options: { domain: DOMAIN, timeout: 'soon' } }, /Option timeout must be a number, got "soon"/],
      [{ options: { domain: DOMAIN, timeout: 9999 } }, /Option timeout must be between 1 and 300/],
      [{ options: { domain: DOMAIN, helo_name: 42 } }, /Option helo_name must be a string, got 42/],
      [{ options: { domain: DOMAIN, test_open_relay: 'maybe' } }, /Option test_open_relay must be true or false/],
      [{ options: { domain: DOMAIN, test_probe_address: 'a@b.test>\r\nDATA' } }, /Probe address .* contains/],
      [
        { options: { domain: DOMAIN, service: { Service: { mx: 'mx1' } } } },
        /Option service field Service.mx must be a list/,
      ],
      [{ options: { domain: DOMAIN, service: '{oops' } }, /Option service is a string that is not valid JSON/],
      [{ options: 'domain=x' }, /Invalid request: body\/options must be object/],
      [
        { options: { domain: DOMAIN }, enabledRules: { 'smtp.open_relay': 'perhaps' } },
        /Invalid request: body\/enabledRules\/smtp.open_relay must be boolean/,
      ],
    ];
    for (const [body, message] of cases) {
      const res = await post('/collect', body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)} → ${res.body}`);
      assert.match(res.json().error, message);
    }
    assert.equal(
      peers.reduce((n, p) => n + p.connections.length, 0),
      before,
      'no connection was opened',
    );
  });

  test('answers 400 with {error} for bad JSON, a non-object body and a body over 1 MiB', async () => {
    const bad = await post('/collect', '{"options": {');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error, /not valid JSON/);
    const list = await post('/collect', '[1,2]');
    assert.equal(list.statusCode, 400);
    assert.match(list.json().error, /body must be object/);
    const big = await post('/collect', JSON.stringify({ options: { domain: DOMAIN, pad: 'x'.repeat(1024 * 1024) } }));
    assert.equal(big.statusCode, 400);
    assert.match(big.json().error, /larger than 1048576 bytes/);
  });

  test('answers 415 for a body that is neither JSON nor a form, and 400 for plain text', async () => {
    const xml = await app.inject({
      method: 'POST',
      url: '/collect',
      payload: '<domain/>',
      headers: { 'content-type': 'application/xml' },
    });
    assert.equal(xml.statusCode, 415);
    assert.match(xml.json().error, /send application\/json/);
    const text = await app.inject({
      method: 'POST',
      url: '/collect',
      payload: 'domain',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.statusCode, 400);
    assert.match(text.json().error, /body must be object/);
  });

  describe('POST /evaluate', () => {
    test('turns the observation into states, each naming its rule', async () => {
      const res = await post('/evaluate', { observations: { smtp: collected.data }, options: {} });
      assert.equal(res.statusCode, 200, res.body);
      const states = res.json().states as { rule: string; status: number }[];
      assert.equal(new Set(states.map((s) => s.rule)).size, 16, 'every rule yields a state');
      assert.ok(states.every((s) => Number.isInteger(s.status) && s.status >= 0 && s.status <= 5));
    });

    test('leaves out disabled rules', async () => {
      const res = await post('/evaluate', {
        observations: { smtp: collected.data },
        enabledRules: { 'smtp.open_relay': false },
      });
      const rules = new Set(res.json().states.map((s: { rule: string }) => s.rule));
      assert.equal(rules.has('smtp.open_relay'), false);
      assert.equal(rules.size, 15);
    });

    test('refuses a missing or malformed observation with 400', async () => {
      const missing = await post('/evaluate', { observations: { other: {} } });
      assert.equal(missing.statusCode, 400);
      assert.match(missing.json().error, /observations has no "smtp" entry \(got "other"\)/);
      const malformed = await post('/evaluate', { observations: { smtp: { version: 1, domain: 'x' } } });
      assert.equal(malformed.statusCode, 400);
      assert.match(malformed.json().error, /observations.smtp is not a checker-smtp observation/);
      const none = await post('/evaluate', {});
      assert.equal(none.statusCode, 400);
      assert.match(none.json().error, /must have required property 'observations'/);
    });
  });

  describe('POST /report', () => {
    test('answers metrics JSON by default', async () => {
      const res = await post('/report', { key: 'smtp', data: collected.data });
      assert.equal(res.statusCode, 200);
      const metrics = res.json() as {
        name: string;
        value: number;
        timestamp: string;
        labels?: Record<string, string>;
      }[];
      const connect = metrics.find((m) => m.name === 'smtp_endpoint_connect_ms');
      assert.deepEqual(connect?.labels, { mx: `mx.${DOMAIN}`, address: HOSTS[0], family: 'ipv4' });
      assert.equal(metrics.find((m) => m.name === 'smtp_endpoints_starttls')?.value, 1);
      assert.ok(metrics.every((m) => m.timestamp === collected.data.collected_at));
    });

    test('answers a self-contained HTML document with Accept: text/html, using the states given', async () => {
      const states = [
        {
          status: 4,
          rule: 'smtp.open_relay',
          code: 'smtp.open_relay',
          subject: `${HOSTS[0]}:${port}`,
          message: 'Relays for outsiders (host-computed state).',
        },
      ];
      const res = await post('/report', { key: 'smtp', data: collected.data, states }, { accept: 'text/html' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
      assert.match(res.body, /^<!doctype html>/i);
      assert.match(res.body, /host-computed state/);
      assert.doesNotMatch(res.body, /<script|<link|src="http/i);
    });

    test('refuses a report without data', async () => {
      const res = await post('/report', { key: 'smtp' });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().error, /required property 'data'/);
    });
  });
});

test('unknown routes answer 404 with {error}', async () => {
  const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
  assert.equal(res.statusCode, 404);
  assert.deepEqual(res.json(), { error: 'No route GET /nope.' });
});
