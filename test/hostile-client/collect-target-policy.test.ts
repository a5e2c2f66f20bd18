/**
 * Hostile clients, part 4: a target policy without holes. IPv6 addresses that
 * carry an IPv4 address (IPv4-compatible, IPv4-mapped, SIIT, NAT64, 6to4,
 * Teredo) reach that IPv4 address wherever a translator or relay sits on the
 * path: each is judged by it, so none smuggles a loopback or private address
 * past the policy. An AAAA answer that is an IPv4-mapped address is that IPv4
 * address: one endpoint, family 4, probed once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { runCheck } from '../integration/harness.js';
import { postJson } from '../server/service-harness.js';
import { createConnectionGate } from '../../src/collect/connection-gate.js';
import { Status } from '../../src/model/status.js';
import type { EndpointProbe } from '../../src/model/observation.js';
import { serviceWithGate, startCountingPeers, type CountingPeers } from './collect-peers.js';

const LOOPBACK_PEER = '127.64.0.1';
const MAPPED_PEER = '127.64.0.2';
/** Each AAAA embeds a loopback or private IPv4 address, and the words the refusal must use. */
const EMBEDDED: [aaaa: string, words: RegExp][] = [
  ['::7f40:1', /IPv4-compatible address \(deprecated, RFC 4291\)/],
  ['64:ff9b::7f40:1', /a NAT64 address \(RFC 6052\) of 127\.64\.0\.1, a loopback address/],
  ['64:ff9b:1::a00:1', /a local-use NAT64 address \(RFC 8215\), whose embedded IPv4 address cannot be told/],
  ['2002:7f40:1::1', /a 6to4 address \(RFC 3056\) of 127\.64\.0\.1, a loopback address/],
  ['2001:0:4136:e378:8000:63bf:80bf:fffe', /a Teredo address \(RFC 4380\) of 127\.64\.0\.1, a loopback address/],
  ['::ffff:0:7f40:1', /an IPv4-translated \(SIIT, RFC 7915\) address of 127\.64\.0\.1, a loopback address/],
  ['::ffff:0:a00:5', /SIIT.* of 10\.0\.0\.5, a private address/],
];

let dns: DnsServer;
let peers: CountingPeers;

before(async () => {
  peers = await startCountingPeers([LOOPBACK_PEER, MAPPED_PEER], 'greet');
  dns = await startDnsServer([
    { name: 'embed.test', type: 'MX', priority: 10, exchange: 'mx.embed.test' },
    ...EMBEDDED.map(([address]) => ({ name: 'mx.embed.test', type: 'AAAA' as const, address })),
    // The IPv4-mapped form of the loopback peer, as an AAAA: IPv4 127.64.0.1 in disguise.
    { name: 'mx.embed.test', type: 'AAAA', address: `::ffff:${LOOPBACK_PEER}` },
    { name: 'mapped.test', type: 'MX', priority: 10, exchange: 'mx.mapped.test' },
    { name: 'mx.mapped.test', type: 'A', address: MAPPED_PEER },
    { name: 'mx.mapped.test', type: 'AAAA', address: `::ffff:${MAPPED_PEER}` },
  ]);
});
after(async () => {
  await peers?.close();
  await dns?.close();
});

/** One spelling per IPv6 address (c-ares writes ::7f40:1 as ::127.64.0.1). */
const canonical = (address: string) => new URL(`http://[${address}]/`).hostname;

const neverDialled = (e: EndpointProbe) =>
  !e.connected && e.timings.connect_ms === null && !e.transcript.some((l) => /^connected to/.test(l.text));

test('the service refuses every address that embeds a loopback or private IPv4 address, by that address, dialling none', async () => {
  // The service's defaults: the target policy on.
  const { app } = await serviceWithGate(dns, peers.port, { refusePrivateTargets: true });
  try {
    const res = await postJson(app, '/collect', { options: { domain: 'embed.test', timeout: 2 } });
    assert.equal(res.statusCode, 200);
    const endpoints: EndpointProbe[] = res.json().data.endpoints;
    for (const [aaaa, words] of EMBEDDED) {
      const e = endpoints.find((x) => x.family === 6 && canonical(x.address) === canonical(aaaa));
      assert.ok(e, `${aaaa} is an endpoint`);
      assert.equal(e.error?.code, 'policy.refused', aaaa);
      assert.match(e.error!.message, words, aaaa);
      assert.ok(neverDialled(e), `${aaaa} was not dialled`);
    }
    // The mapped AAAA became the IPv4 endpoint 127.64.0.1: refused as loopback, once.
    const mapped = endpoints.filter((x) => x.address === LOOPBACK_PEER);
    assert.equal(mapped.length, 1);
    assert.equal(mapped[0]!.family, 4);
    assert.match(mapped[0]!.error!.message, /127\.64\.0\.1 is a loopback address/);
    assert.equal(endpoints.length, EMBEDDED.length + 1);
    assert.equal(peers.accepted.get(LOOPBACK_PEER) ?? 0, 0, 'nothing reached the loopback peer');
  } finally {
    await app.close();
  }
});

test('an IPv4-mapped AAAA beside its A record is one IPv4 endpoint, probed once, and said so', async () => {
  const gate = createConnectionGate({ perAddress: 1 });
  const before = peers.accepted.get(MAPPED_PEER) ?? 0;
  const { observation: obs, states } = await runCheck(dns, peers.port, { domain: 'mapped.test' }, { gate });
  assert.equal((peers.accepted.get(MAPPED_PEER) ?? 0) - before, 1, 'one connection to the one server');
  assert.deepEqual(
    obs.endpoints.map((e) => [e.address, e.family]),
    [[MAPPED_PEER, 4]],
  );
  const [target] = obs.dns.mx;
  assert.deepEqual(target!.ipv4, [MAPPED_PEER]);
  assert.deepEqual(target!.ipv6, []);
  assert.deepEqual(target!.ipv4_mapped, [`::ffff:${MAPPED_PEER}`]);
  const mappedFinding = states.find((s) => s.code === 'smtp.mx.mapped_aaaa');
  assert.equal(mappedFinding?.status, Status.WARN);
  assert.match(mappedFinding!.message, /publishes AAAA ::ffff:127\.64\.0\.2: an IPv4-mapped address, not IPv6/);
  assert.equal(states.find((s) => s.rule === 'smtp.ipv6_reachable')?.code, 'smtp.ipv6.none', 'no IPv6 claimed');
});
