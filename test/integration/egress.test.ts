/**
 * The egress check end to end: when no endpoint answers and every one timed
 * out, a canary on port 25 tells a blocked port here from dead servers. The
 * endpoints and the canary are filtered loopback ports (a full accept queue
 * drops SYNs, as a firewall does) or a scripted peer; the canary is always
 * on loopback, named through the in-process DNS server or given as an
 * address. Loopback 127.0.0.100–104 belongs to this file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { startFilteredPort, type FilteredPort } from '../peers/filtered-port.js';
import { reply, runDialogue, startScriptedServer, type ScriptedServer } from '../peers/scripted-smtp.js';
import { DEFAULT_EGRESS_CANARIES } from '../../src/config/settings.js';
import { verdictStatus } from '../../src/presentation/view-model.js';
import { renderText } from '../../src/presentation/text/render-text.js';
import { renderReport } from '../../src/presentation/html/render-report.js';
import { Status } from '../../src/model/status.js';
import { collectMany } from '../../src/collect/collect-many.js';
import { parseResolver } from '../../src/config/settings.js';
import type { Observation } from '../../src/model/observation.js';
import { postJson, startService } from '../server/service-harness.js';
import { findings, runCheck } from './harness.js';
import { runCli } from './run-cli.js';

const MX_HOSTS = ['127.0.0.100', '127.0.0.101'];
const CANARY_FILTERED = '127.0.0.102';
const CANARY_OPEN = '127.0.0.103';
const REFUSING = '127.0.0.104';
/** Small budgets: a filtered connect costs the whole endpoint budget, and the canary at most the same. */
const TIMEOUT_S = 1;
const DOMAIN = 'blocked.test';

let dns: DnsServer;
let filtered: FilteredPort;
let filteredCanary: FilteredPort;
let openCanary: ScriptedServer;

before(async () => {
  filtered = await startFilteredPort(MX_HOSTS);
  filteredCanary = await startFilteredPort([CANARY_FILTERED]);
  openCanary = await startScriptedServer({
    host: CANARY_OPEN,
    script: (conn) => runDialogue(conn, { hostname: 'canary.test', greeting: reply(220, 'canary.test ESMTP ready') }),
  });
  dns = await startDnsServer([
    ...mailDomainRecords(DOMAIN, [
      { name: 'mx1.blocked.test', addresses: [MX_HOSTS[0]!] },
      { name: 'mx2.blocked.test', addresses: [MX_HOSTS[1]!] },
    ]),
    ...mailDomainRecords('refusing.test', [{ name: 'mx.refusing.test', addresses: [REFUSING] }]),
    { name: 'canary.test', type: 'A', address: CANARY_FILTERED },
  ]);
});
after(async () => {
  await Promise.all([filtered.close(), filteredCanary.close(), openCanary.close(), dns.close()]);
});

const check = (egressCanary: { host: string; port: number }[], domain = DOMAIN) =>
  runCheck(dns, filtered.port, { domain, timeout: TIMEOUT_S }, { egressCanary });

test('every endpoint and the canary time out: each endpoint is UNKNOWN egress_blocked, never CRIT unreachable', async () => {
  const { observation, states } = await check([{ host: 'canary.test', port: filteredCanary.port }]);
  assert.deepEqual(
    observation.endpoints.map((e) => e.error?.code),
    ['connect.timeout', 'connect.timeout'],
  );
  const subjects = MX_HOSTS.map((h) => `${h}:${filtered.port}`);
  const blocked = findings(states).filter((f) => /unreachable|egress/.test(f));
  assert.deepEqual(blocked, [
    `UNKNOWN smtp.endpoint.egress_blocked ${subjects[0]}`,
    `UNKNOWN smtp.endpoint.egress_blocked ${subjects[1]}`,
  ]);
  const state = states.find((s) => s.code === 'smtp.endpoint.egress_blocked')!;
  assert.match(state.message, /this machine cannot reach port 25 anywhere .*canary\.test \(127\.0\.0\.102\)/);
  assert.match(String(state.meta?.['fix']), /Run the check from a host allowed to send on port 25/);
  assert.deepEqual(observation.egress?.outcome, 'blocked');
  assert.deepEqual(observation.egress?.canaries, [
    {
      host: 'canary.test',
      port: filteredCanary.port,
      address: CANARY_FILTERED,
      outcome: 'timeout',
      greeting: null,
      error: `no answer to the TCP connection within ${TIMEOUT_S} s`,
      connect_ms: null,
    },
  ]);
  // No rule blames a server it never reached; the verdict says so.
  assert.ok(!states.some((s) => s.status === Status.CRIT), findings(states).join('\n'));
  assert.equal(verdictStatus(observation, states), Status.UNKNOWN);
  const text = renderText(observation, states, { color: false });
  assert.match(text.split('\n')[0]!, /^UNKNOWN blocked\.test could not be tested: no endpoint could be probed/);
  assert.match(text, /Port 25 from this machine \(egress check\)\n {2}This machine cannot reach port 25 anywhere/);
  assert.match(text, /canary\.test \(127\.0\.0\.102\) port \d+: timed out/);
  const html = renderReport(observation, { states });
  assert.match(html, /<h2>Port 25 from this machine<\/h2>/);
  assert.match(html, /not tested: this machine cannot reach port 25/);
});

test("the endpoints time out but the canary answers: the endpoints are the domain's problem, CRIT as before", async () => {
  const { observation, states } = await check([{ host: CANARY_OPEN, port: openCanary.port }]);
  const subjects = MX_HOSTS.map((h) => `${h}:${filtered.port}`);
  assert.deepEqual(
    findings(states).filter((f) => /unreachable|egress/.test(f)),
    [
      `CRIT smtp.endpoint.unreachable ${subjects[0]}`,
      `CRIT smtp.endpoint.unreachable ${subjects[1]}`,
      `CRIT smtp.all_unreachable ${DOMAIN}`,
    ],
  );
  const [canary] = observation.egress!.canaries;
  assert.equal(observation.egress?.outcome, 'reachable');
  assert.equal(canary!.outcome, 'connected');
  assert.equal(canary!.greeting, '220 canary.test ESMTP ready');
  assert.equal(canary!.error, null);
  assert.deepEqual(openCanary.connections.at(-1)!.commands, ['QUIT'], 'the canary gets nothing but QUIT');
  assert.match(
    states.find((s) => s.code === 'smtp.all_unreachable')!.message,
    /This machine does reach port 25 elsewhere \(127\.0\.0\.103 port \d+: connected\)/,
  );
});

test('with the canary switched off the check is not run and the verdict stays as the endpoints say', async () => {
  const { observation, states } = await check([]);
  assert.equal(observation.egress, null);
  assert.ok(findings(states).includes(`CRIT smtp.all_unreachable ${DOMAIN}`));
});

test('a refused connection proves packets leave this machine: no egress check', async () => {
  const { observation, states } = await check([{ host: 'canary.test', port: filteredCanary.port }], 'refusing.test');
  assert.equal(observation.endpoints[0]!.error?.code, 'connect.refused');
  assert.equal(observation.egress, null);
  assert.ok(findings(states).includes('CRIT smtp.all_unreachable refusing.test'));
});

test("the default canaries are host names, resolved through the check's own resolver", async () => {
  // Published on loopback: the names go to the test resolver, and what is dialled is loopback.
  dns.set(
    ...DEFAULT_EGRESS_CANARIES.map((c, i) => ({
      name: c.host,
      type: 'A' as const,
      address: `127.0.0.${i === 0 ? 102 : 104}`,
    })),
  );
  try {
    const { observation } = await runCheck(dns, filtered.port, { domain: DOMAIN, timeout: TIMEOUT_S });
    assert.equal(observation.egress, null, 'the harness switches the check off by default');
    const { observation: withDefaults } = await runCheck(
      dns,
      filtered.port,
      { domain: DOMAIN, timeout: TIMEOUT_S },
      { egressCanary: DEFAULT_EGRESS_CANARIES },
    );
    const canaries = withDefaults.egress!.canaries;
    assert.deepEqual(
      canaries.map((c) => c.host),
      DEFAULT_EGRESS_CANARIES.map((c) => c.host),
    );
    assert.ok(canaries.every((c) => c.port === 25 && c.address !== null && c.address.startsWith('127.0.0.')));
    for (const c of DEFAULT_EGRESS_CANARIES)
      assert.ok(
        dns.queries.some((q) => q.name === c.host && q.type === 'A'),
        `${c.host} asked of the test resolver`,
      );
  } finally {
    dns.remove(...DEFAULT_EGRESS_CANARIES.map((c) => c.host));
  }
});

test('the CLI exits 3, not 2, when port 25 is blocked here, and says why', async () => {
  const run = await runCli([
    'check',
    DOMAIN,
    '--resolver',
    dns.address,
    '--port',
    String(filtered.port),
    '--timeout',
    String(TIMEOUT_S),
    '--egress-canary',
    `${CANARY_FILTERED}:${filteredCanary.port}`,
  ]);
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stdout, /^UNKNOWN blocked\.test could not be tested/);
  assert.match(run.stdout, /smtp\.endpoint\.egress_blocked/);
  assert.doesNotMatch(run.stdout, /smtp\.all_unreachable/);
});

test('collectMany() runs one egress check for every domain of the batch that needs it', async () => {
  const observations = await collectMany([DOMAIN, 'refusing.test', DOMAIN], {
    resolver: parseResolver(dns.address),
    port: filtered.port,
    options: { timeout: TIMEOUT_S },
    egressCanary: [{ host: CANARY_FILTERED, port: filteredCanary.port }],
  });
  assert.deepEqual(
    observations.map((o) => o.egress?.outcome ?? null),
    ['blocked', null, 'blocked'],
  );
  assert.equal(observations[0]!.egress, observations[2]!.egress, 'asked once, shared');
});

test('the service runs the egress check with its egress canary setting', async () => {
  const app = await startService(dns, filtered.port, { egressCanary: `${CANARY_FILTERED}:${filteredCanary.port}` });
  try {
    const res = await postJson(app, '/collect', { key: 'smtp', options: { domain: DOMAIN, timeout: TIMEOUT_S } });
    assert.equal(res.statusCode, 200, res.body);
    const { data } = res.json() as { data: Observation };
    assert.equal(data.egress?.outcome, 'blocked');
    assert.equal(data.egress?.canaries[0]?.address, CANARY_FILTERED);
  } finally {
    await app.close();
  }
});
