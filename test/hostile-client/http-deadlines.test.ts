/**
 * Time the service may take, whatever a request asks (issue 12): a collect
 * answers within the service's deadline even with a 300 s endpoint budget
 * against tarpits (happyDomain's client gives up at 120 s), and on SIGTERM
 * the drain deadline bounds the exit (`--drain-timeout 2` still opened new
 * SMTP connections 15 s later). Tarpits are scripted SMTP peers on loopback
 * that accept and never greet; the shutdown case runs the real `serve`
 * process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { startOnSamePort } from '../peers/listen.js';
import { startScriptedServer, type ScriptedServer } from '../peers/scripted-smtp.js';
import type { Observation } from '../../src/model/observation.js';
import { startServe } from '../server/serve-harness.js';
import { eventually, listenService, request, type Listening } from './http-clients.js';

const TARPITS = ['127.0.0.100', '127.0.0.101', '127.0.0.102', '127.0.0.103'];
const DOMAIN = 'tarpits.test';
/** Each tarpit holds a connection this long without a greeting, then closes it: the gate then frees a slot. */
const HOLD_MS = 3000;
/** The endpoint budget asked for: the protocol's largest. */
const TIMEOUT_S = 300;
/** Slack for answering after a deadline: a cut collect returns at once; the rest is a loaded machine. */
const ANSWER_MARGIN_MS = 3000;

let dns: DnsServer;
let tarpits: ScriptedServer[];
let smtpPort: number;
let svc: Listening | undefined;

before(async () => {
  dns = await startDnsServer([]);
  ({ port: smtpPort, peers: tarpits } = await startOnSamePort(
    TARPITS.map(
      (host) => (port: number) =>
        startScriptedServer({
          host,
          port,
          script: async (conn) => {
            await conn.sleep(HOLD_MS);
            await conn.end();
          },
        }),
    ),
  ));
  dns.set(
    ...mailDomainRecords(
      DOMAIN,
      TARPITS.map((address, i) => ({ name: `mx${i}.${DOMAIN}`, addresses: [address] })),
    ),
  );
});
after(async () => {
  await svc?.close();
  await Promise.all((tarpits ?? []).map((t) => t.close()));
  await dns?.close();
});

const dialled = () => tarpits.reduce((n, t) => n + t.connections.length, 0);
const collectBody = JSON.stringify({ key: 'smtp', options: { domain: DOMAIN, timeout: TIMEOUT_S } });

test('a collect with a 300 s budget against tarpits answers by the service deadline, the rest recorded as cut', async () => {
  const deadlineS = 2;
  svc = await listenService({ collectDeadline: String(deadlineS) }, { dns, smtpPort });
  const res = await request(svc.port, '/collect', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: collectBody,
  });
  assert.equal(res.status, 200, res.body);
  assert.ok(res.ms <= deadlineS * 1000 + ANSWER_MARGIN_MS, `answered after ${res.ms} ms`);
  const obs = (JSON.parse(res.body) as { data: Observation }).data;
  assert.equal(obs.options.timeout, TIMEOUT_S);
  assert.equal(obs.cut?.reason, 'deadline');
  assert.match(obs.cut!.message, /the 2 s deadline of the check ran out/);
  assert.equal(obs.endpoints.length, TARPITS.length);
  assert.ok(
    obs.endpoints.every((e) => e.error?.code === 'deadline'),
    JSON.stringify(obs.endpoints.map((e) => e.error)),
  );
  await svc.close();
  svc = undefined;
});

test('on SIGTERM the drain deadline cancels the collect in flight, its answer says so, and the process exits', async () => {
  const drainS = 2;
  const before = dialled();
  // One SMTP connection at a time: the other tarpits wait in the gate's line, to be dialled as slots free up.
  const server = await startServe(dns.address, smtpPort, ['--drain-timeout', String(drainS), '--max-connections', '1']);
  const inFlight = fetch(`${server.base}/collect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: collectBody,
  });
  assert.ok(await eventually(() => dialled() > before, 10_000), 'the collect reached a tarpit');
  const termAt = Date.now();
  server.child.kill('SIGTERM');

  const res = await inFlight;
  assert.equal(res.status, 200);
  const obs = ((await res.json()) as { data: Observation }).data;
  assert.equal(obs.cut?.reason, 'cancelled', 'cut by the shutdown');
  assert.ok(obs.endpoints.some((e) => e.error?.code === 'cancelled'));

  assert.equal(await server.exited, 0);
  const exitedAfter = Date.now() - termAt;
  assert.ok(exitedAfter <= drainS * 1000 + ANSWER_MARGIN_MS, `exited ${exitedAfter} ms after SIGTERM`);
  assert.ok(
    server.logs.some((l) => l['msg'] === 'the drain timeout ran out: cancelling the work still in flight'),
    'the cancel is logged',
  );
  // The tarpits free their slot HOLD_MS after being dialled: nothing may dial them once the process is gone.
  const atExit = dialled();
  await new Promise((r) => setTimeout(r, HOLD_MS + 500));
  assert.equal(dialled(), atExit, 'no SMTP connection after the exit');
  assert.equal(atExit - before, 1, 'only the first tarpit was ever dialled');
});
