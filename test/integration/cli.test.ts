/**
 * The `checker-smtp check` command end to end, as a child process: JSON
 * output parsed, terminal output read, exit codes like a monitoring plugin.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { testCa } from '../peers/certs.js';
import { runCli } from './run-cli.js';
import { OBSERVATION_VERSION } from '../../src/model/observation.js';

let dns: DnsServer;
let healthy: ScenarioPeer;
let relay: ScenarioPeer;
let caDir: string;

before(async () => {
  dns = await startDnsServer([
    ...mailDomainRecords('ok.test', [{ name: 'mx.ok.test', addresses: ['127.0.0.80'] }]),
    ...mailDomainRecords('relay.test', [{ name: 'mx.relay.test', addresses: ['127.0.0.81'] }]),
  ]);
  healthy = await scenarios.healthy({ host: '127.0.0.80', port: 0, domain: 'ok.test', mxName: 'mx.ok.test' });
  relay = await scenarios.openRelay({
    host: '127.0.0.81',
    port: healthy.port,
    domain: 'relay.test',
    mxName: 'mx.relay.test',
  });
  caDir = mkdtempSync(join(tmpdir(), 'checker-smtp-ca-'));
  writeFileSync(join(caDir, 'ca.pem'), testCa().cert);
});
after(async () => {
  await Promise.all([healthy.close(), relay.close(), dns.close()]);
  rmSync(caDir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(args, { caFile: join(caDir, 'ca.pem') });

const target = (domain: string) => [
  domain,
  '--resolver',
  dns.address,
  '--port',
  String(healthy.port),
  '--timeout',
  '3',
];

test('check --json prints exactly one JSON object and exits 0 for a healthy domain', async () => {
  const run = await cli('check', ...target('ok.test'), '--json');
  assert.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout) as {
    domain: string;
    observation: { version: number; endpoints: unknown[] };
    states: { status: number; rule: string }[];
  };
  assert.equal(doc.domain, 'ok.test');
  assert.equal(doc.observation.version, OBSERVATION_VERSION);
  assert.equal(doc.observation.endpoints.length, 1);
  assert.ok(doc.states.length >= 16);
  assert.ok(doc.states.every((s) => Number.isInteger(s.status) && typeof s.rule === 'string'));
  assert.equal(run.stdout.trim().split('\n').length, 1);
});

test('an open relay exits 2 and the terminal report leads with the verdict, the endpoint table and the fix', async () => {
  const run = await cli('check', ...target('relay.test'));
  assert.equal(run.code, 2);
  const lines = run.stdout.split('\n');
  assert.match(lines[0]!, /^CRIT\s+relay\.test/);
  const tableAt = run.stdout.search(/^ {2}mx\.relay\.test +127\.0\.0\.81 +yes.*OPEN RELAY +CRIT$/m);
  const fixAt = run.stdout.indexOf('What to fix');
  const relayAt = run.stdout.indexOf('smtp.open_relay');
  assert.ok(tableAt > 0 && fixAt > tableAt && relayAt > fixAt, 'verdict, then the endpoint table, then findings');
  assert.match(run.stdout, /reject_unauth_destination/);
  assert.ok(!run.stdout.includes('Endpoint 127.0.0.81'), 'the per-endpoint blocks only with --verbose');
  assert.equal(run.stderr, '', 'no progress output when stderr is not a terminal');

  const verbose = await cli('check', ...target('relay.test'), '--verbose');
  assert.equal(verbose.code, 2);
  const endpointAt = verbose.stdout.indexOf('Endpoint 127.0.0.81');
  assert.ok(
    endpointAt > verbose.stdout.indexOf('smtp.open_relay'),
    '--verbose: the endpoint blocks after the findings',
  );
  assert.match(verbose.stdout, /greeting +220 /);
});

test('--no-open-relay switches the relay probe off', async () => {
  const run = await cli('check', ...target('relay.test'), '--no-open-relay', '--json');
  assert.equal(run.code, 0, run.stdout);
  const doc = JSON.parse(run.stdout) as { states: { code?: string }[] };
  assert.ok(doc.states.some((s) => s.code === 'smtp.open_relay.skipped'));
});

test('bad usage and unsafe input exit 3 with the reason on stderr, before any connection', async () => {
  const before = healthy.connections.length;
  const cases: [string[], RegExp][] = [
    [['check'], /Missing DOMAIN/],
    [['check', 'ok.test', '--helo', 'evil\r\nRCPT TO:<x@y>'], /EHLO name .* contains a carriage return/],
    [['check', 'ok.test', '--probe-address', 'a@b.test>'], /contains a ">"/],
    [['check', 'ok.test', '--timeout', 'soon'], /timeout must be a number/],
    [['check', 'ok.test', '--resolver', 'dns.example'], /not an IP address/],
    [['check', 'ok.test', '--bogus'], /Unknown option/],
    [['frobnicate'], /Unknown command/],
  ];
  for (const [args, reason] of cases) {
    const run = await cli(...args);
    assert.equal(run.code, 3, args.join(' '));
    assert.match(run.stderr, reason);
    assert.equal(run.stdout, '');
  }
  assert.equal(healthy.connections.length, before, 'refused input opened no connection');
});
