/**
 * The access token of a hosted deployment, in-process: required on every
 * route but /health, as a bearer header, or on the browser page as a form
 * field then a cookie that opens that page only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../../../test/peers/dns-server.js';
import { mailDomainRecords } from '../../../test/peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../../../test/peers/smtp-scenarios.js';
import { startService } from '../../../test/server/service-harness.js';

const HOST = '127.0.0.197';
const DOMAIN = 'guard.test';

let dns: DnsServer;
let peer: ScenarioPeer;
let app: FastifyInstance;

before(async () => {
  dns = await startDnsServer([]);
  peer = await scenarios.healthy({ host: HOST, port: 0, domain: DOMAIN, mxName: 'mx.provider.test' });
  dns.add(...mailDomainRecords(DOMAIN, [{ name: 'mx.provider.test', addresses: [HOST] }]));
  app = await startService(dns, peer.port, { token: 's3cret-token' });
});
after(async () => {
  await app?.close();
  await peer?.close();
  await dns?.close();
});

const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };

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

test('is checked before the body schema: a caller without it learns nothing of the body it sent', async () => {
  const res = await app.inject({ method: 'POST', url: '/report', headers: json, payload: '{"states": [{}]}' });
  assert.equal(res.statusCode, 401);
  assert.doesNotMatch(res.body, /states|data/);
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
  assert.match(page.body, /This checker asks for an access token/);
  assert.doesNotMatch(page.body, /role="alert"|class="p-error"/, 'a first visit is asked, not scolded');
  assert.match(page.body, /name="token"/);

  const wrong = await app.inject({
    method: 'POST',
    url: '/check',
    headers: form,
    payload: 'form=1&domain=guard.test&token=nope',
  });
  assert.equal(wrong.statusCode, 401);
  assert.match(wrong.body, /role="alert">That access token is not valid/);
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
    (await app.inject({ method: 'GET', url: '/definition', cookies: { checker_smtp_token: cookie.value } })).statusCode,
    401,
  );
});
