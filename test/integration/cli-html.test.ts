/**
 * `checker-smtp check DOMAIN --html FILE` as a child process: the same HTML
 * report as the library renders, written next to the usual output, and a
 * clear error (before any connection where possible) when FILE cannot be
 * written. Loopback addresses 127.0.0.140–149 belong to the report tests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { testCa } from '../peers/certs.js';
import { runCli } from './run-cli.js';

let dns: DnsServer;
let relay: ScenarioPeer;
let dir: string;

before(async () => {
  dns = await startDnsServer(mailDomainRecords('relay.test', [{ name: 'mx.relay.test', addresses: ['127.0.0.140'] }]));
  relay = await scenarios.openRelay({ host: '127.0.0.140', port: 0, domain: 'relay.test', mxName: 'mx.relay.test' });
  dir = mkdtempSync(join(tmpdir(), 'checker-smtp-html-'));
  writeFileSync(join(dir, 'ca.pem'), testCa().cert);
});
after(async () => {
  await Promise.all([relay.close(), dns.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(args, { caFile: join(dir, 'ca.pem') });

const target = () => ['relay.test', '--resolver', dns.address, '--port', String(relay.port), '--timeout', '3'];

test('--html FILE writes the self-contained report and keeps the terminal report and exit code', async () => {
  const file = join(dir, 'relay.html');
  const run = await cli('check', ...target(), '--html', file);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stdout, /^CRIT\s+relay\.test/);
  const html = readFileSync(file, 'utf8');
  assert.ok(html.startsWith('<!doctype html>'));
  assert.match(html, /<title>Inbound mail report for relay\.test<\/title>/);
  assert.match(html, /class="r-badge-relay">OPEN RELAY</);
  assert.match(html, /<details class="r-ep" id="r-ep-0" open data-subject="127\.0\.0\.140:\d+">/);
  assert.ok(!html.includes('Rule states evaluated by this report'), 'the CLI passes the states it evaluated');
});

test('--json with --html still prints exactly one JSON object', async () => {
  const file = join(dir, 'relay-json.html');
  const run = await cli('check', ...target(), '--json', '--html', file);
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stdout.trim().split('\n').length, 1);
  assert.equal((JSON.parse(run.stdout) as { domain: string }).domain, 'relay.test');
  assert.match(readFileSync(file, 'utf8'), /relay\.test cannot receive mail reliably/);
});

test('an --html FILE in a missing directory fails with exit 3 before any connection', async () => {
  const before = relay.connections.length;
  const file = join(dir, 'no-such-dir', 'r.html');
  const run = await cli('check', ...target(), '--html', file);
  assert.equal(run.code, 3);
  assert.match(
    run.stderr,
    /Cannot write the HTML report to ".*no-such-dir\/r\.html": directory .* is missing or not writable \(ENOENT\)/,
  );
  assert.equal(run.stdout, '');
  assert.equal(relay.connections.length, before, 'no probe for a report that cannot be saved');
});

test('an --html FILE that is a directory fails with exit 3 and says why', async () => {
  const run = await cli('check', ...target(), '--html', dir);
  assert.equal(run.code, 3);
  assert.match(run.stderr, /Cannot write the HTML report to ".*": EISDIR/);
  assert.ok(existsSync(dir));
});
