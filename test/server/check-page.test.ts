/**
 * The browser page, in-process: the form, its validation (400 with the form
 * and the error, nothing sent), and the result page with report, states and
 * metrics from a real probe of a loopback peer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { startService } from './service-harness.js';
import { observation } from '../fixtures/observations.js';
import { checkResultPage, formValues } from '../../src/server/check-page.js';
import { Status, type CheckState } from '../../src/model/status.js';

const HOST = '127.0.0.127';
const DOMAIN = 'page.test';

let dns: DnsServer;
let peer: ScenarioPeer;
let app: FastifyInstance;

before(async () => {
  dns = await startDnsServer([]);
  peer = await scenarios.openRelay({ host: HOST, port: 0, domain: DOMAIN, mxName: `mx.${DOMAIN}` });
  dns.set(...mailDomainRecords(DOMAIN, [{ name: `mx.${DOMAIN}`, addresses: [HOST] }]));
  // This page lets visitors choose the relay-probe recipient (the field and its validation are tested here).
  app = await startService(dns, peer.port, { allowProbeAddress: true });
});
after(async () => {
  await app?.close();
  await peer?.close();
  await dns?.close();
});

const submit = (fields: Record<string, string>) =>
  app.inject({
    method: 'POST',
    url: '/check',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ form: '1', ...fields }).toString(),
  });

test('GET /check renders the form: domain, EHLO name, the three probes, probe address, timeout', async () => {
  const res = await app.inject({ method: 'GET', url: '/check' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
  for (const name of [
    'domain',
    'helo_name',
    'test_null_sender',
    'test_postmaster',
    'test_open_relay',
    'test_probe_address',
    'timeout',
  ]) {
    assert.match(res.body, new RegExp(`name="${name}"`), name);
  }
  assert.doesNotMatch(res.body, /name="token"/, 'no token field without a token');
  assert.match(res.body, /<input type="checkbox" name="test_open_relay" checked/);
});

test('POST /check with invalid input re-renders the form with the error and 400, sending nothing', async () => {
  const before = peer.connections.length;
  const cases: [Record<string, string>, RegExp][] = [
    [{ domain: '' }, /Option domain is required/],
    [{ domain: 'page.test\r\nRCPT TO:<x@y>' }, /contains a carriage return/],
    [{ domain: DOMAIN, timeout: 'later' }, /Option timeout must be a number, got &quot;later&quot;/],
    [{ domain: DOMAIN, helo_name: 'bad helo' }, /EHLO name &quot;bad helo&quot; contains a space/],
    [{ domain: DOMAIN, test_probe_address: 'nobody' }, /Probe address &quot;nobody&quot;/],
  ];
  for (const [fields, error] of cases) {
    const res = await submit(fields);
    assert.equal(res.statusCode, 400, JSON.stringify(fields));
    assert.match(res.body, /role="alert"/);
    assert.match(res.body, error);
    assert.match(res.body, /<form/);
  }
  assert.equal(peer.connections.length, before);
});

test('POST /check echoes hostile input back as text, never as markup', async () => {
  const res = await submit({ domain: '"><script>alert(1)</script>' });
  assert.equal(res.statusCode, 400);
  assert.doesNotMatch(res.body, /<script>alert/);
  assert.match(res.body, /&lt;script>alert\(1\)&lt;\/script>|&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

test('POST /check runs the probe and answers one page with the report, the states and the metrics', async () => {
  const res = await submit({
    domain: DOMAIN,
    timeout: '3',
    test_null_sender: 'on',
    test_postmaster: 'on',
    test_open_relay: 'on',
  });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /OPEN RELAY/);
  assert.match(res.body, /id="report"/);
  assert.match(res.body, /id="states"[\s\S]*smtp\.open_relay/);
  assert.match(res.body, /id="metrics"[\s\S]*smtp_endpoint_connect_ms/);
  assert.match(res.body, /value="page.test"/, 'the form keeps the domain for a re-run');
  assert.doesNotMatch(res.body, /<script|<link /i);
});

test('POST /check honours an unticked probe: no relay probe is sent', async () => {
  const before = peer.commands.length;
  const res = await submit({ domain: DOMAIN, timeout: '3', test_null_sender: 'on', test_postmaster: 'on' });
  assert.equal(res.statusCode, 200);
  const sent = peer.commands.slice(before);
  assert.ok(sent.includes(`RCPT TO:<postmaster@${DOMAIN}>`));
  assert.ok(!sent.some((c) => c.includes('example.com')), 'no outside recipient');
  assert.match(
    res.body,
    /<input type="checkbox" name="test_open_relay"\/?>|<input type="checkbox" name="test_open_relay" \/>/,
  );
});

test('the rule-state table shows bidi and ESC characters of server text as visible escapes, as the report does', () => {
  const obs = observation();
  const hostile = `mx1.example.com \u202etxt.exe\u202c greets \u001b[2J\u001b]0;owned\u0007`;
  const states: CheckState[] = [
    {
      status: Status.WARN,
      rule: 'smtp.banner_sanity',
      code: 'smtp.banner.no_hostname',
      subject: hostile,
      message: hostile,
    },
  ];
  const metrics = [{ name: 'smtp_endpoints', value: 1, labels: { mx: hostile }, timestamp: obs.collected_at }];
  const html = checkResultPage({ values: formValues({}), obs, states, metrics, needsToken: false });
  const table = html.slice(html.indexOf('id="states"'));
  assert.doesNotMatch(table, /[\u001b\u0007\u202c\u202e]/, 'no raw ESC, BEL or bidi character in the tables');
  assert.match(table, /\\u202etxt\.exe\\u202c greets \\x1b\[2J\\x1b\]0;owned\\x07/);
});
