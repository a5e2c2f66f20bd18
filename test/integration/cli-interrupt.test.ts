/**
 * Ctrl-C during `checker-smtp check`: the real binary as a child process, a
 * server that accepts and never greets. The first SIGINT cancels the check
 * and the report of what was checked is still written (the endpoint "not
 * probed: the check was cancelled", never the server's silence). (A second
 * Ctrl-C quits at once with 130; not tested: two signals sent close together
 * are delivered as one, and sent apart the cancel has already ended.) Loopback 127.66.2.x belongs to this file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { PACKAGE_ROOT } from '../../src/model/package-info.js';
import { CLI_MAIN } from './run-cli.js';

const SILENT_HOST = '127.66.2.10';
const DOMAIN = 'silent.interrupt.test';
/** Long enough that only the interrupt can end the check early. */
const TIMEOUT_S = '20';

let dns: DnsServer;
let silent: ScenarioPeer;

before(async () => {
  silent = await scenarios.silent({ host: SILENT_HOST, port: 0, domain: DOMAIN });
  dns = await startDnsServer(mailDomainRecords(DOMAIN, [{ name: `mx.${DOMAIN}`, addresses: [SILENT_HOST] }]));
});
after(async () => {
  await Promise.all([silent.close(), dns.close()]);
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  tookMs: number;
}

/** Starts a check, sends SIGINT once the server holds the connection, and waits for the exit. */
function interrupted(extra: string[] = []): Promise<Run> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI_MAIN,
      'check',
      DOMAIN,
      '--resolver',
      dns.address,
      '--port',
      String(silent.port),
      '--timeout',
      TIMEOUT_S,
      '--egress-canary',
      'none',
      ...extra,
    ],
    { cwd: PACKAGE_ROOT, env: { ...process.env, NO_COLOR: '1' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let sentAt = 0;
  const baseline = silent.connections.length;
  const poll = setInterval(() => {
    if (silent.connections.length === baseline || sentAt !== 0) return;
    sentAt = Date.now();
    child.kill('SIGINT');
  }, 50);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr, tookMs: Date.now() - sentAt });
    });
  });
}

test('Ctrl-C cancels the check and still writes the report of what was checked', async () => {
  const before = silent.connections.length;
  const run = await interrupted();
  assert.ok(silent.connections.length > before, 'the check had reached the server');
  assert.ok(run.tookMs < 5000, `exited ${run.tookMs} ms after Ctrl-C (the budget is ${TIMEOUT_S} s)`);
  assert.match(run.stderr, /Interrupted: reporting what was checked so far/);
  assert.match(run.stdout, new RegExp(DOMAIN.replaceAll('.', '\\.')));
  assert.match(run.stdout, /cancelled/);
  assert.equal(run.code, 3, 'could not be tested: UNKNOWN, not a verdict on the server');
});

test('Ctrl-C with --json still writes one JSON object, its observation cut as cancelled', async () => {
  const run = await interrupted(['--json']);
  const out = JSON.parse(run.stdout) as { observation: { cut: { reason: string } | null } };
  assert.equal(out.observation.cut?.reason, 'cancelled');
});
