/**
 * POST /collect in-process against real loopback DNS and SMTP peers: the
 * observation and its discovery entries, option coercion, enabledRules, the
 * MX service payload, bad options and bodies (400, nothing sent), the
 * deployment guards that act on a collect (target policy, allow-list, the
 * per-address connection bound), and an internal failure that answers 500
 * without its details.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../../../test/peers/dns-server.js';
import { mailDomainRecords } from '../../../test/peers/dns-records.js';
import { startOnSamePort } from '../../../test/peers/listen.js';
import { scenarios, type ScenarioPeer } from '../../../test/peers/smtp-scenarios.js';
import { captureLog, FAST, mxService, postJson, startService } from '../../../test/server/service-harness.js';
import type { ServiceFlags } from '../../config/service-settings.js';
import { createConnectionGate } from '../../collect/connection-gate.js';
import { createDnsClient } from '../../collect/dns/dns-client.js';
import { parseResolver } from '../../config/settings.js';
import { validateObservation } from '../../model/observation-schema.js';
import type { Observation } from '../../model/observation.js';

const HOSTS = ['127.0.0.190', '127.0.0.191', '127.0.0.192'];
const DOMAIN = 'svc.test';
/** One provider MX that several customer domains share. */
const SHARED_HOST = '127.0.0.193';
const SHARED_DOMAINS = ['guard.test', 'shared-a.test', 'shared-b.test', 'shared-c.test'];

let dns: DnsServer;
let peers: ScenarioPeer[];
let shared: ScenarioPeer;
let app: FastifyInstance;
let port: number;
const apps: FastifyInstance[] = [];

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
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all((peers ?? []).map((p) => p.close()));
  await shared?.close();
  await dns?.close();
});

const post = (payload: unknown) => postJson(app, '/collect', payload);

function commandsTo(host: string): string[] {
  return peers[HOSTS.indexOf(host)]!.commands;
}

test('collects an observation and publishes one tls.endpoint.v1 entry per MX host', async () => {
  const res = await post({ key: 'smtp', target: { serviceType: 'svcs.MXs' }, options: { domain: DOMAIN, ...FAST } });
  assert.equal(res.statusCode, 200, res.body);
  const collected = res.json() as { data: Observation; entries: unknown[] };
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
  const res = await post({
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
  const res = await post({
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

describe('the MX service payload', () => {
  test('probes its MX records, relative, absolute and "@", even when unpublished', async () => {
    const service = mxService([
      [10, 'mx1'],
      [20, 'mx1.zone.test.'],
      [30, '@'],
    ]);
    const res = await post({ options: { domain: 'zone.test', service, ...FAST } });
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
    const res = await post({ options: { domain: 'zone.test', service: mxService([[10, 'mx']], 'sub'), ...FAST } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data.domain, 'sub.zone.test');
    assert.deepEqual(
      res.json().data.dns.mx.map((m: { name: string }) => m.name),
      ['mx.sub.zone.test'],
    );
  });

  test('looks MX up live when the service carries no MX record', async () => {
    const res = await post({ options: { domain: DOMAIN, service: mxService([]), ...FAST } });
    assert.equal(res.json().data.dns.source, 'live');
  });
});

describe('refused requests', () => {
  test('refuses bad options and bodies of the wrong shape with 400 and a clear error, sending nothing', async () => {
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
        /Invalid request: body\/enabledRules\/smtp.open_relay must be boolean, got "perhaps"/,
      ],
      [{ options: { domain: DOMAIN }, key: 7 }, /Invalid request: body\/key must be string, got 7\./],
      [{ options: { domain: DOMAIN }, target: { userId: [] } }, /Invalid request: body\/target\/userId must be string/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)} → ${res.body}`);
      assert.match(res.json().error, message);
    }
    assert.equal(
      peers.reduce((n, p) => n + p.connections.length, 0),
      before,
      'no connection was opened',
    );
  });

  test('answers a collect that fails inside us with 500 and the request id, the details only in the log', async () => {
    const lines: Record<string, unknown>[] = [];
    const real = createDnsClient({ resolver: parseResolver(dns.address) });
    const broken = await startService(
      dns,
      port,
      {},
      {
        // A DNS client breaking its contract (it answers failures as data, it does not throw): our bug, not the caller's.
        dns: { ...real, mx: () => Promise.reject(new TypeError('resolver.secret is not a function')) },
        logger: captureLog(lines),
      },
    );
    apps.push(broken);
    const res = await postJson(broken, '/collect', { options: { domain: DOMAIN, ...FAST } });
    assert.equal(res.statusCode, 500);
    assert.match(res.json().error, /^Internal error \(request [\w-]+\)\.$/);
    assert.doesNotMatch(res.body, /secret|TypeError/);
    const logged = lines.find((l) => l['msg'] === 'request failed');
    assert.ok(logged, 'the failure is logged');
    assert.equal(res.json().error, `Internal error (request ${String(logged['reqId'])}).`);
    assert.match(JSON.stringify(logged['err']), /resolver\.secret is not a function/);
  });
});

describe('deployment guards on a collect', () => {
  before(async () => {
    // Several domains share one MX address, as customers of one provider do.
    shared = await scenarios.healthy({
      host: SHARED_HOST,
      port: 0,
      domain: SHARED_DOMAINS[0]!,
      mxName: 'mx.provider.test',
      localDomains: SHARED_DOMAINS.slice(1),
    });
    for (const domain of SHARED_DOMAINS)
      dns.add(...mailDomainRecords(domain, [{ name: 'mx.provider.test', addresses: [SHARED_HOST] }]));
  });

  async function service(flags: ServiceFlags, extra: Parameters<typeof startService>[3] = {}) {
    const started = await startService(dns, shared.port, flags, extra);
    apps.push(started);
    return started;
  }
  const collectBody = (domain = SHARED_DOMAINS[0]!) => ({ options: { domain, ...FAST } });

  test('target policy is off for the host protocol unless asked for', async () => {
    const open = await service({});
    const res = await postJson(open, '/collect', collectBody());
    assert.equal(res.json().data.endpoints[0].connected, true);

    const strict = await service({ refusePrivateTargets: true });
    const refused = await postJson(strict, '/collect', collectBody());
    assert.equal(refused.statusCode, 200);
    const endpoint = refused.json().data.endpoints[0];
    assert.equal(endpoint.connected, false);
    assert.equal(endpoint.error.code, 'policy.refused');
    const states = (await postJson(strict, '/evaluate', { observations: { smtp: refused.json().data } })).json().states;
    const state = states.find((s: { code: string }) => s.code === 'smtp.endpoint.refused');
    assert.equal(state.status, 0, 'UNKNOWN: says nothing about the server');
  });

  test('allowed domains: others are refused with 403 before any connection', async () => {
    const guarded = await service({ allowedDomains: 'shared-a.test, provider.test' });
    const before = shared.connections.length;
    const res = await postJson(guarded, '/collect', collectBody('guard.test'));
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'Domain "guard.test" is not in this checker\'s list of allowed domains.');
    assert.equal(shared.connections.length, before);
    assert.equal((await postJson(guarded, '/collect', collectBody('shared-a.test'))).statusCode, 200);
  });

  test('simultaneous collects for domains sharing an MX are queued: one session at a time on that address', async () => {
    const gate = createConnectionGate({ perAddress: 1 });
    const queued = await service({}, { gate });
    const first = shared.connections.length;
    const results = await Promise.all(SHARED_DOMAINS.slice(1).map((d) => postJson(queued, '/collect', collectBody(d))));
    for (const r of results) {
      assert.equal(r.statusCode, 200);
      assert.equal(r.json().data.endpoints[0].connected, true);
    }
    assert.equal(gate.stats().peakPerAddress, 1);
    // Server side: each connection opened only after the previous one had said QUIT.
    const conns = shared.connections.slice(first).sort((a, b) => a.openedAt - b.openedAt);
    assert.equal(conns.length, 3);
    for (let i = 1; i < conns.length; i++) {
      const previous = conns[i - 1]!;
      const quit = previous.lines.find((l) => l.text === 'QUIT');
      assert.ok(quit, `connection ${i - 1} ended with QUIT`);
      assert.ok(
        conns[i]!.openedAt >= previous.openedAt + quit.at,
        `connection ${i} opened after connection ${i - 1} said QUIT`,
      );
    }
  });
});
