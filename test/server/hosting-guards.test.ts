/**
 * The guards of a hosted deployment, in-process: access token (bearer,
 * form field, cookie), per-client rate limit, target policy, domain
 * allow-list, and the shared per-address connection bound.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import type { ServiceFlags } from '../../src/config/service-settings.js';
import { FAST, startService } from './service-harness.js';
import { createConnectionGate } from '../../src/collect/connection-gate.js';

const HOST = '127.0.0.125';
const DOMAINS = ['guard.test', 'shared-a.test', 'shared-b.test', 'shared-c.test'];

let dns: DnsServer;
let peer: ScenarioPeer;
const apps: FastifyInstance[] = [];

before(async () => {
  dns = await startDnsServer([]);
  // Several domains share one MX address, as customers of one provider do.
  peer = await scenarios.healthy({
    host: HOST,
    port: 0,
    domain: DOMAINS[0]!,
    mxName: 'mx.provider.test',
    localDomains: DOMAINS.slice(1),
  });
  for (const domain of DOMAINS)
    dns.add(...mailDomainRecords(domain, [{ name: 'mx.provider.test', addresses: [HOST] }]));
});
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await peer?.close();
  await dns?.close();
});

async function service(flags: ServiceFlags): Promise<FastifyInstance> {
  const app = await startService(dns, peer.port, flags);
  apps.push(app);
  return app;
}

const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const collectBody = (domain = DOMAINS[0]!) => JSON.stringify({ options: { domain, ...FAST } });

describe('access token', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await service({ token: 's3cret-token' });
  });

  test('is required on every route but /health', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    for (const [method, url] of [
      ['GET', '/definition'],
      ['POST', '/definition'],
      ['POST', '/collect'],
      ['POST', '/evaluate'],
      ['POST', '/report'],
    ] as const) {
      const res = await app.inject({ method, url, headers: json, payload: '{}' });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
      assert.match(res.json().error, /Missing or invalid access token/);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="checker-smtp"');
    }
  });

  test('accepts the bearer header and refuses a wrong one', async () => {
    assert.equal(
      (await app.inject({ method: 'GET', url: '/definition', headers: { authorization: 'Bearer s3cret-token' } }))
        .statusCode,
      200,
    );
    assert.equal(
      (await app.inject({ method: 'GET', url: '/definition', headers: { authorization: 'Bearer s3cret-tokeX' } }))
        .statusCode,
      401,
    );
    assert.equal(
      (await app.inject({ method: 'GET', url: '/definition', headers: { authorization: 's3cret-token' } })).statusCode,
      401,
    );
  });

  test('lets the browser page in with the form field, then remembers it in a cookie', async () => {
    const page = await app.inject({ method: 'GET', url: '/check' });
    assert.equal(page.statusCode, 401);
    assert.match(page.body, /This checker needs an access token/);
    assert.match(page.body, /name="token"/);

    const wrong = await app.inject({
      method: 'POST',
      url: '/check',
      headers: form,
      payload: 'form=1&domain=guard.test&token=nope',
    });
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body, /That access token is not valid/);
    assert.match(wrong.body, /value="guard.test"/, 'the form keeps what was typed');

    const ok = await app.inject({
      method: 'POST',
      url: '/check',
      headers: form,
      payload: `form=1&domain=guard.test&timeout=3&token=s3cret-token`,
    });
    assert.equal(ok.statusCode, 200, ok.body.slice(0, 500));
    const cookie = ok.cookies.find((c) => c.name === 'checker_smtp_token');
    assert.ok(cookie, 'token cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    const again = await app.inject({ method: 'GET', url: '/check', cookies: { checker_smtp_token: cookie.value } });
    assert.equal(again.statusCode, 200);
    // The cookie opens the browser page only, not the host protocol.
    assert.equal(
      (await app.inject({ method: 'GET', url: '/definition', cookies: { checker_smtp_token: cookie.value } }))
        .statusCode,
      401,
    );
  });
});

describe('rate limit', () => {
  test('answers 429 with Retry-After once a client spends its work budget, across work routes', async () => {
    const app = await service({ rateLimit: '2' });
    assert.equal(
      (await app.inject({ method: 'POST', url: '/definition', headers: json, payload: '{}' })).statusCode,
      200,
    );
    assert.equal(
      (await app.inject({ method: 'POST', url: '/evaluate', headers: json, payload: '{}' })).statusCode,
      400,
    );
    const limited = await app.inject({ method: 'POST', url: '/collect', headers: json, payload: collectBody() });
    assert.equal(limited.statusCode, 429);
    assert.match(limited.json().error, /Too many requests: at most 2 checks per minute per client; retry in \d+ s/);
    assert.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After header');
    // Reading the definition and health are not work: never limited.
    assert.equal((await app.inject({ method: 'GET', url: '/definition' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    // Another client has its own budget.
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/definition',
          headers: json,
          payload: '{}',
          remoteAddress: '127.0.0.9',
        })
      ).statusCode,
      200,
    );
  });
});

describe('target policy', () => {
  test('is on by default for /check: a loopback MX is reported as not probed, and nothing is dialled', async () => {
    const app = await service({ allowPrivateTargets: false });
    const before = peer.connections.length;
    const res = await app.inject({
      method: 'POST',
      url: '/check',
      headers: form,
      payload: 'form=1&domain=guard.test&timeout=3&test_open_relay=on',
    });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /smtp\.endpoint\.refused/);
    assert.match(res.body, new RegExp(`not probed: ${HOST.replace(/\./g, '\\.')} is a loopback address`));
    assert.equal(peer.connections.length, before, 'no connection to the refused address');
  });

  test('is off for the host protocol unless asked for', async () => {
    const open = await service({});
    const res = await open.inject({ method: 'POST', url: '/collect', headers: json, payload: collectBody() });
    assert.equal(res.json().data.endpoints[0].connected, true);

    const strict = await service({ refusePrivateTargets: true });
    const refused = await strict.inject({ method: 'POST', url: '/collect', headers: json, payload: collectBody() });
    assert.equal(refused.statusCode, 200);
    const endpoint = refused.json().data.endpoints[0];
    assert.equal(endpoint.connected, false);
    assert.equal(endpoint.error.code, 'policy.refused');
    const states = (
      await strict.inject({
        method: 'POST',
        url: '/evaluate',
        headers: json,
        payload: JSON.stringify({ observations: { smtp: refused.json().data } }),
      })
    ).json().states;
    const state = states.find((s: { code: string }) => s.code === 'smtp.endpoint.refused');
    assert.equal(state.status, 0, 'UNKNOWN: says nothing about the server');
  });
});

describe('allowed domains', () => {
  test('refuses other domains with 403 (JSON) or the form and its error (page), before any connection', async () => {
    const app = await service({ allowedDomains: 'shared-a.test, provider.test' });
    const before = peer.connections.length;
    const res = await app.inject({
      method: 'POST',
      url: '/collect',
      headers: json,
      payload: collectBody('guard.test'),
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'Domain "guard.test" is not in this checker\'s list of allowed domains.');
    const page = await app.inject({
      method: 'POST',
      url: '/check',
      headers: form,
      payload: 'form=1&domain=guard.test',
    });
    assert.equal(page.statusCode, 403);
    assert.match(
      page.body,
      /is not in this checker&#39;s list of allowed domains|is not in this checker's list of allowed domains/,
    );
    assert.equal(peer.connections.length, before);
    assert.equal(
      (await app.inject({ method: 'POST', url: '/collect', headers: json, payload: collectBody('shared-a.test') }))
        .statusCode,
      200,
    );
  });
});

describe('connection bounds', () => {
  test('simultaneous collects for domains sharing an MX are queued: one session at a time on that address', async () => {
    const gate = createConnectionGate({ perAddress: 1 });
    const app = await startService(dns, peer.port, {}, { gate });
    apps.push(app);
    const first = peer.connections.length;
    const results = await Promise.all(
      DOMAINS.slice(1).map((d) =>
        app.inject({ method: 'POST', url: '/collect', headers: json, payload: collectBody(d) }),
      ),
    );
    for (const r of results) {
      assert.equal(r.statusCode, 200);
      assert.equal(r.json().data.endpoints[0].connected, true);
    }
    assert.equal(gate.stats().peakPerAddress, 1);
    // Server side: each connection opened only after the previous one had said QUIT.
    const conns = peer.connections.slice(first).sort((a, b) => a.openedAt - b.openedAt);
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
