/**
 * GET and POST /check in-process, as the route wires the page: the form, a
 * probe of a loopback peer, and every kind of error answered as the form
 * with the message and the error's status (400, 403, 500), the page's own
 * target policy, and nothing sent when the input is refused. What the page
 * shows is tested in test/server/check-page.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../../../test/peers/dns-server.js';
import { mailDomainRecords } from '../../../test/peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../../../test/peers/smtp-scenarios.js';
import { captureLog, startService } from '../../../test/server/service-harness.js';
import type { ServiceFlags } from '../../config/service-settings.js';
import { createDnsClient } from '../../collect/dns/dns-client.js';
import { parseResolver } from '../../config/settings.js';

const HOST = '127.0.0.196';
const DOMAIN = 'page.test';

let dns: DnsServer;
let peer: ScenarioPeer;
let app: FastifyInstance;
const apps: FastifyInstance[] = [];

before(async () => {
  dns = await startDnsServer([]);
  peer = await scenarios.healthy({ host: HOST, port: 0, domain: DOMAIN, mxName: `mx.${DOMAIN}` });
  dns.set(...mailDomainRecords(DOMAIN, [{ name: `mx.${DOMAIN}`, addresses: [HOST] }]));
  app = await service({});
});
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await peer?.close();
  await dns?.close();
});

async function service(flags: ServiceFlags, extra: Parameters<typeof startService>[3] = {}) {
  const started = await startService(dns, peer.port, flags, extra);
  apps.push(started);
  return started;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const submit = (target: FastifyInstance, fields: Record<string, string>) =>
  target.inject({
    method: 'POST',
    url: '/check',
    headers: form,
    payload: new URLSearchParams({ form: '1', ...fields }).toString(),
  });

test('GET /check answers the form as HTML', async () => {
  const res = await app.inject({ method: 'GET', url: '/check' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
  assert.match(res.body, /<form/);
});

test('POST /check probes the domain and answers the result page', async () => {
  const before = peer.connections.length;
  const res = await submit(app, { domain: DOMAIN, timeout: '3' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
  assert.match(res.body, /smtp\.open_relay/);
  assert.equal(peer.connections.length, before + 1);
});

test('invalid options answer the form, the error and 400, sending nothing', async () => {
  const before = peer.connections.length;
  const res = await submit(app, { domain: DOMAIN, timeout: 'later' });
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /role="alert"/);
  assert.match(res.body, /Option timeout must be a number, got &quot;later&quot;/);
  assert.match(res.body, /value="page.test"/, 'the form keeps what was typed');
  assert.equal(peer.connections.length, before);
});

test('a body of the wrong shape answers the form with 400 naming the field', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/check',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ form: '1', domain: 5 }),
  });
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /<form/);
  assert.match(res.body, /body\/domain must be string/);
});

test('the target policy is on by default: a loopback MX is reported as not probed, and nothing is dialled', async () => {
  const guarded = await service({ allowPrivateTargets: false });
  const before = peer.connections.length;
  const res = await submit(guarded, { domain: DOMAIN, timeout: '3', test_open_relay: 'on' });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /smtp\.endpoint\.refused/);
  assert.match(res.body, new RegExp(`not probed: ${HOST.replace(/\./g, '\\.')} is a loopback address`));
  assert.equal(peer.connections.length, before, 'no connection to the refused address');
});

test('a domain outside the allow-list answers the form with the error and 403, before any connection', async () => {
  const guarded = await service({ allowedDomains: 'shared-a.test, provider.test' });
  const before = peer.connections.length;
  const page = await submit(guarded, { domain: DOMAIN });
  assert.equal(page.statusCode, 403);
  assert.match(
    page.body,
    /is not in this checker&#39;s list of allowed domains|is not in this checker's list of allowed domains/,
  );
  assert.equal(peer.connections.length, before);
});

test('an internal failure after the page began is said in the page with the request id, never the internal message', async () => {
  const lines: Record<string, unknown>[] = [];
  const real = createDnsClient({ resolver: parseResolver(dns.address) });
  const broken = await service(
    {},
    { dns: { ...real, mx: () => Promise.reject(new RangeError('secret internal state')) }, logger: captureLog(lines) },
  );
  const res = await submit(broken, { domain: DOMAIN, timeout: '3' });
  // The page streams: its status went out with "Checking…", before DNS failed.
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /<form/);
  assert.match(res.body, /id="check-error"><p>Internal error \(request [\w-]+\)\.<\/p>/);
  assert.match(res.body, /its HTTP status \(200\) could not say so/);
  assert.match(res.body, /<\/html>$/, 'the document is closed');
  assert.doesNotMatch(res.body, /secret internal state|RangeError/);
  assert.ok(lines.some((l) => l['msg'] === 'request failed' && /secret internal state/.test(JSON.stringify(l['err']))));
});

test('/ redirects a person to the page: 303 to /check', async () => {
  const res = await app.inject({ method: 'GET', url: '/' });
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers['location'], '/check');
});

test('a shared link GET /check?domain=… shows the form filled in with "Run the check", and probes nothing', async () => {
  const before = peer.connections.length;
  const res = await app.inject({ method: 'GET', url: `/check?domain=${DOMAIN}&mx=${HOST}&timeout=3` });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /id="domain" name="domain" value="page\.test"/);
  assert.match(res.body, new RegExp(`id="mx" name="mx" value="${HOST.replace(/\./g, '\\.')}"`));
  assert.match(res.body, /<button type="submit">Run the check<\/button>/);
  assert.match(res.body, /class="p-note">Press &quot;Run the check&quot; to check page\.test/);
  assert.doesNotMatch(res.body, /id="progress"|id="report"/);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(peer.connections.length, before, 'a link fetched by a preview dials nothing');
});

test('with --check-on-get, a shared link runs the check and streams the result page', async () => {
  const onGet = await service({ checkOnGet: true });
  const before = peer.connections.length;
  const res = await onGet.inject({ method: 'GET', url: `/check?domain=${DOMAIN}&timeout=3` });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /<h2>Checking page\.test…<\/h2>/);
  assert.match(res.body, /id="report"/);
  assert.equal(peer.connections.length, before + 1);
});

test('the result page streams its steps, shows its shareable link, and keeps states and metrics collapsed', async () => {
  const res = await submit(app, { domain: DOMAIN, timeout: '3', test_postmaster: 'on', test_null_sender: 'on' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['x-accel-buffering'], 'no');
  assert.equal(res.headers['cache-control'], 'no-store');
  const steps = /<ol><li>DNS done: 1 endpoint to probe \(MX: mx\.page\.test\)\.<\/li><li>([^<]+)<\/li><\/ol>/.exec(
    res.body,
  );
  assert.ok(steps, res.body.slice(0, 3000));
  assert.match(steps[1]!, new RegExp(`^${HOST.replace(/\./g, '\\.')}:\\d+ \\(mx\\.page\\.test\\): greeting 220`));
  // The relay probe was unticked: the link says so, so it reopens the same check.
  assert.match(
    res.body,
    /id="share">Link to this check: <a href="http:\/\/localhost(:\d+)?\/check\?domain=page\.test&amp;timeout=3&amp;form=1&amp;test_null_sender=on&amp;test_postmaster=on">/,
  );
  assert.ok(
    res.body.indexOf('id="progress"') < res.body.indexOf('id="report"'),
    'the progress comes before the report',
  );
  assert.match(res.body, /<details class="p-more" id="states"><summary>Rule states/);
  assert.match(res.body, /<details class="p-more" id="metrics"><summary>Metrics \(\d+\)<\/summary>/);
  assert.match(res.body, /<\/div><\/div><\/body><\/html>$/, 'the document is closed');
});

test('--mx on the form probes the hosts given instead of the MX records (an IP literal here)', async () => {
  const before = peer.connections.length;
  const res = await submit(app, { domain: 'unpublished.test', mx: HOST, timeout: '3' });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, new RegExp(`DNS done: 1 endpoint to probe \\(MX: ${HOST.replace(/\./g, '\\.')}\\)`));
  assert.match(res.body, /given/);
  assert.equal(peer.connections.length, before + 1, 'the given host was dialled');
});

test('--mx on the form: a bad host is a 400 naming it; a name outside the allow-list a 403; nothing dialled', async () => {
  const before = peer.connections.length;
  const bad = await submit(app, { domain: DOMAIN, mx: 'mx one.test' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /role="alert">MX host &quot;mx one\.test&quot;/);
  assert.match(bad.body, /value="mx one\.test"/, 'the form keeps what was typed');
  const guarded = await service({ allowedDomains: DOMAIN });
  const outside = await submit(guarded, { domain: DOMAIN, mx: 'mx.elsewhere.test', timeout: '3' });
  assert.equal(outside.statusCode, 403);
  assert.match(outside.body, /MX host &quot;mx\.elsewhere\.test&quot; is not in this checker/);
  assert.equal(peer.connections.length, before);
});

test('--mx on the form: an IP literal is judged by the target policy, refused, never dialled', async () => {
  // A domain that publishes no MX: only the given address can be what the policy refused.
  const guarded = await service({ allowPrivateTargets: false });
  const before = peer.connections.length;
  const res = await submit(guarded, { domain: 'unpublished.test', mx: HOST, timeout: '3' });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, new RegExp(`not probed: ${HOST.replace(/\./g, '\\.')} is a loopback address`));
  assert.equal(peer.connections.length, before);
});

test('--mx on the form: with --allowed-domains an IP literal is refused 403 before anything is dialled', async () => {
  const guarded = await service({ allowedDomains: 'unpublished.test' });
  const before = peer.connections.length;
  const res = await submit(guarded, { domain: 'unpublished.test', mx: HOST, timeout: '3' });
  assert.equal(res.statusCode, 403);
  assert.match(res.body, /is an IP address: this checker only probes hosts named within its list of allowed domains/);
  assert.equal(peer.connections.length, before);
});
