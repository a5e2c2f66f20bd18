/**
 * End to end, as a remote host drives us: the real `checker-smtp serve`
 * process on a random port, loopback DNS and SMTP peers, collect → evaluate →
 * report over HTTP; then SIGTERM while a collect is in flight must let it
 * finish, refuse new work, and exit 0. Also --healthcheck both ways.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { startOnSamePort } from '../peers/listen.js';
import { reply, runDialogue, startScriptedServer, type ScriptedServer } from '../peers/scripted-smtp.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { mxService } from './service-harness.js';
import { runCli } from '../integration/run-cli.js';
import { startServe as startServeProcess } from './serve-harness.js';

const HEALTHY_HOST = '127.0.0.130';
const SLOW_HOST = '127.0.0.131';
const DOMAIN = 'e2e.test';
/** The slow peer holds its greeting this long: SIGTERM lands while the collect waits on it. */
const SLOW_GREETING_MS = 1500;

let dns: DnsServer;
let healthy: ScenarioPeer;
let slow: ScriptedServer;
let smtpPort: number;

const startServe = (extra: string[] = []) => startServeProcess(dns.address, smtpPort, extra);

async function healthcheck(listen: string): Promise<{ code: number; out: string }> {
  const run = await runCli(['serve', '--healthcheck', '--listen', listen]);
  return { code: run.code, out: run.stdout + run.stderr };
}

before(async () => {
  dns = await startDnsServer([]);
  let peers: [ScenarioPeer, ScriptedServer];
  ({ port: smtpPort, peers } = (await startOnSamePort<ScenarioPeer | ScriptedServer>([
    (port) =>
      scenarios.healthy({
        host: HEALTHY_HOST,
        port,
        domain: DOMAIN,
        mxName: `mx1.${DOMAIN}`,
        localDomains: ['slow.test'],
      }),
    (port) =>
      startScriptedServer({
        host: SLOW_HOST,
        port,
        script: async (conn) => {
          await conn.sleep(SLOW_GREETING_MS);
          await runDialogue(conn, {
            hostname: 'mx.slow.test',
            greeting: reply(220, 'mx.slow.test ESMTP'),
            extensions: ['PIPELINING'],
          });
        },
      }),
  ])) as { port: number; peers: [ScenarioPeer, ScriptedServer] });
  [healthy, slow] = peers;
  dns.set(
    ...mailDomainRecords(DOMAIN, [{ name: `mx1.${DOMAIN}`, addresses: [HEALTHY_HOST] }]),
    ...mailDomainRecords('slow.test', [{ name: 'mx.slow.test', addresses: [SLOW_HOST] }]),
  );
});
after(async () => {
  await healthy?.close();
  await slow?.close();
  await dns?.close();
});

const postJson = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

test('serve answers collect → evaluate → report as a remote host drives it, logging one line per request', async () => {
  const server = await startServe();
  try {
    const health = await (await fetch(`${server.base}/health`)).json();
    assert.equal(health.status, 'ok');
    assert.equal((await healthcheck(server.listen)).code, 0);

    const definition = await (await fetch(`${server.base}/definition`)).json();
    assert.equal(definition.rules.length, 16);

    // The MX service as happyDomain sends it: relative name, zone from domain_name.
    const collectRes = await postJson(server.base, '/collect', {
      key: 'smtp',
      target: { userId: 'u1', domainId: 'd1', serviceId: 's1', serviceType: 'svcs.MXs' },
      options: { domain: DOMAIN, service: mxService([[10, 'mx1']]), timeout: '5', test_open_relay: 'true' },
      enabledRules: { 'smtp.ipv6_reachable': false },
    });
    assert.equal(collectRes.status, 200);
    const collected = await collectRes.json();
    assert.equal(collected.data.dns.source, 'service');
    assert.equal(collected.data.endpoints[0].starttls.ok, true);
    assert.equal(collected.entries[0].ref, `mx1.${DOMAIN}:${smtpPort}`);

    const evaluated = await (
      await postJson(server.base, '/evaluate', {
        observations: { smtp: collected.data },
        options: {},
        enabledRules: { 'smtp.ipv6_reachable': false },
      })
    ).json();
    const rules = new Set(evaluated.states.map((s: { rule: string }) => s.rule));
    assert.equal(rules.size, 15);
    assert.ok(
      !evaluated.states.some((s: { status: number }) => s.status >= 3),
      JSON.stringify(evaluated.states.filter((s: { status: number }) => s.status >= 3)),
    );

    const html = await postJson(
      server.base,
      '/report',
      { key: 'smtp', data: collected.data, states: evaluated.states },
      { accept: 'text/html' },
    );
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
    assert.match(await html.text(), new RegExp(`mx1\\.${DOMAIN.replace('.', '\\.')}`));

    const metrics = await (
      await postJson(server.base, '/report', { key: 'smtp', data: collected.data, states: evaluated.states })
    ).json();
    assert.ok(metrics.some((m: { name: string }) => m.name === 'smtp_endpoint_tls_handshake_ms'));

    const bad = await postJson(server.base, '/collect', { options: { domain: 'x\r\ny.test' } });
    assert.equal(bad.status, 400);

    // One structured log line per request: method, path, status, duration (written once the answer is sent).
    const requestLines = () => server.logs.filter((l) => l['msg'] === 'request');
    for (let i = 0; i < 100 && requestLines().length < 8; i++) await new Promise((r) => setTimeout(r, 20));
    const requests = requestLines();
    assert.deepEqual(
      requests.map((l) => `${l['method']} ${l['path']} ${l['status']}`),
      [
        'GET /health 200',
        'GET /health 200',
        'GET /definition 200',
        'POST /collect 200',
        'POST /evaluate 200',
        'POST /report 200',
        'POST /report 200',
        'POST /collect 400',
      ],
    );
    assert.ok(requests.every((l) => typeof l['duration_ms'] === 'number'));
  } finally {
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  }
});

test('SIGTERM lets an in-flight collect finish, refuses new work, and exits 0', async () => {
  const server = await startServe(['--drain-timeout', '20']);
  const inFlight = postJson(server.base, '/collect', { options: { domain: 'slow.test', timeout: 5 } });
  // Wait until the slow peer has our connection: the collect is truly in flight.
  const deadline = Date.now() + 10_000;
  while (slow.connections.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(slow.connections.length, 1, 'the collect reached the slow peer');
  server.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  await assert.rejects(fetch(`${server.base}/health`), 'no new connections once shutting down');

  const res = await inFlight;
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.data.endpoints[0].greeting.code, 220, 'the collect ran to completion');
  assert.equal(body.data.endpoints[0].quit.code, 221);
  assert.equal(await server.exited, 0);
  assert.ok(
    server.logs.some((l) => l['msg'] === 'stopped'),
    'clean stop logged',
  );
  assert.notEqual((await healthcheck(server.listen)).code, 0, 'healthcheck fails once the service is gone');
});
