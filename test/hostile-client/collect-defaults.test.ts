/**
 * Hostile clients, part 6: defaults that leave no SSRF open. The zone a host
 * sends is its users' to write, so the host protocol refuses loopback and
 * private targets by default, as the /check page does; an internal
 * deployment opts out with --allow-private-targets. A start that listens on
 * every interface without an access token says so.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { postJson } from '../server/service-harness.js';
import { buildApp } from '../../src/server/app.js';
import { resolveServiceSettings, type ServiceFlags } from '../../src/config/service-settings.js';
import { createDnsClient } from '../../src/collect/dns/dns-client.js';
import { parseResolver } from '../../src/config/settings.js';
import { exposureWarning } from '../../src/cli/serve-command.js';
import { testCa } from '../peers/certs.js';
import type { Observation } from '../../src/model/observation.js';
import { startCountingPeers, type CountingPeers } from './collect-peers.js';

const PEER = '127.66.0.1';
const DOMAIN = 'inside.test';

let dns: DnsServer;
let peers: CountingPeers;

before(async () => {
  peers = await startCountingPeers([PEER], 'greet');
  dns = await startDnsServer([
    { name: DOMAIN, type: 'MX', priority: 10, exchange: `mx.${DOMAIN}` },
    { name: `mx.${DOMAIN}`, type: 'A', address: PEER },
  ]);
});
after(async () => {
  await peers?.close();
  await dns?.close();
});

/** The service exactly as `serve` builds it from these flags and no environment (not the test harness's opt-ins). */
function service(flags: ServiceFlags) {
  return buildApp({
    settings: resolveServiceSettings({ port: String(peers.port), egressCanary: 'none', ...flags }, {}),
    dns: createDnsClient({ resolver: parseResolver(dns.address) }),
    trustStore: [testCa().cert],
  });
}

test('by default, /collect and /check refuse a loopback MX address, dialling nothing', async () => {
  const app = await service({});
  try {
    const collected = await postJson(app, '/collect', { options: { domain: DOMAIN, timeout: 2 } });
    assert.equal(collected.statusCode, 200);
    const obs: Observation = collected.json().data;
    assert.equal(obs.endpoints[0]?.error?.code, 'policy.refused');
    assert.match(obs.endpoints[0]!.error!.message, /127\.66\.0\.1 is a loopback address/);
    const page = await app.inject({
      method: 'POST',
      url: '/check',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ form: '1', domain: DOMAIN, timeout: '2' }).toString(),
    });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /127\.66\.0\.1 is a loopback address/);
    assert.equal(peers.total(), 0);
  } finally {
    await app.close();
  }
});

test('--allow-private-targets lets an internal deployment probe them, on every route', async () => {
  const app = await service({ allowPrivateTargets: true });
  try {
    const collected = await postJson(app, '/collect', { options: { domain: DOMAIN, timeout: 2 } });
    assert.equal(collected.json().data.endpoints[0].connected, true);
    assert.equal(peers.total(), 1);
  } finally {
    await app.close();
  }
});

test('exposureWarning() warns of all interfaces without a token, and only then', () => {
  const warning = exposureWarning({ token: null, listen: { host: '::', port: 8080 } });
  assert.match(warning ?? '', /listening on all interfaces without an access token/);
  assert.match(exposureWarning({ token: null, listen: { host: '0.0.0.0', port: 8080 } }) ?? '', /all interfaces/);
  assert.equal(exposureWarning({ token: 's3cret', listen: { host: '::', port: 8080 } }), null);
  assert.equal(exposureWarning({ token: null, listen: { host: '127.0.0.1', port: 8080 } }), null);
});
