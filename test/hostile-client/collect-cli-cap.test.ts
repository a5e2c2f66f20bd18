/**
 * Hostile clients, the command line: `checker-smtp check --max-endpoints N`
 * caps the endpoints one check dials, as the service's setting does, and a
 * bad value is refused before anything is looked up or dialled.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { runCli } from '../integration/run-cli.js';
import { startCountingPeers, type CountingPeers } from './collect-peers.js';

const DOMAIN = 'cli-cap.test';
const ADDRESSES = ['127.61.200.1', '127.61.200.2', '127.61.200.3', '127.61.200.4'];

let dns: DnsServer;
let peers: CountingPeers;

before(async () => {
  peers = await startCountingPeers(ADDRESSES, 'greet');
  dns = await startDnsServer([
    { name: DOMAIN, type: 'MX', priority: 10, exchange: `mx.${DOMAIN}` },
    ...ADDRESSES.map((address) => ({ name: `mx.${DOMAIN}`, type: 'A' as const, address })),
  ]);
});
after(async () => {
  await Promise.all([peers.close(), dns.close()]);
});

const check = (...extra: string[]) =>
  runCli([
    'check',
    DOMAIN,
    '--resolver',
    dns.address,
    '--port',
    String(peers.port),
    '--timeout',
    '3',
    '--json',
    ...extra,
  ]);

test('check --max-endpoints 2 dials two of four addresses and lists the other two as not probed', async () => {
  const run = await check('--max-endpoints', '2');
  assert.equal(peers.total(), 2, run.stderr);
  const doc = JSON.parse(run.stdout) as {
    observation: { caps: { max_endpoints: number }; endpoints: { address: string; error: { code: string } | null }[] };
    states: { code: string; subject?: string }[];
  };
  assert.equal(doc.observation.caps.max_endpoints, 2);
  const capped = doc.observation.endpoints.filter((e) => e.error?.code === 'policy.capped').map((e) => e.address);
  assert.equal(capped.length, 2);
  assert.deepEqual(
    doc.states.filter((s) => s.code === 'smtp.endpoint.not_probed').map((s) => s.subject),
    capped.map((a) => `${a}:${peers.port}`),
  );
});

test('check --max-endpoints refuses a value out of range, quoting it, before dialling anything', async () => {
  const before = peers.total();
  for (const bad of ['0', '257', 'many']) {
    const run = await check('--max-endpoints', bad);
    assert.equal(run.code, 3);
    assert.match(run.stderr, new RegExp(`--max-endpoints must be a whole number from 1 to 256, got "${bad}"`));
  }
  assert.equal(peers.total(), before);
});
