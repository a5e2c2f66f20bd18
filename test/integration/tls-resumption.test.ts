/**
 * TLS session resumption in bulk runs: a later connection of the same run to
 * the same MX resumes the earlier session (no certificate exchanged), and
 * its observation carries the full handshake's chain, says so, and is judged
 * the same; a single collect() never resumes; an entry past its age makes a
 * full handshake again; and a server that fails a resumed handshake is not
 * blamed for it: the checker makes a full handshake instead. Real TLS on
 * loopback: the scripted SMTP server and smtp-server, DNS from the
 * in-process server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { collectMany } from '../../src/collect/collect-many.js';
import { collect } from '../../src/collect/collect.js';
import { TlsSessions } from '../../src/collect/tls/tls-sessions.js';
import { createConnectionGate } from '../../src/collect/connection-gate.js';
import { validateObservation } from '../../src/model/observation-schema.js';
import type { Observation } from '../../src/model/observation.js';
import { evaluate } from '../../src/rules/index.js';
import { parseResolver } from '../../src/config/settings.js';
import { leafCertificate, testCa } from '../peers/certs.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { reply, runDialogue } from '../peers/scripted-dialogue.js';
import { startScriptedServer, type ScriptedServer } from '../peers/scripted-smtp.js';
import { scenarios } from '../peers/smtp-scenarios.js';
import { findings } from './harness.js';

/** This file's slice of loopback: 127.0.0.120–123 (DNS on .120). */
const DNS_HOST = '127.0.0.120';
const MX_HOST = '127.0.0.121';
const BROKEN_HOST = '127.0.0.122';
const SMTP_SERVER_HOST = '127.0.0.123';

let dns: DnsServer;
before(async () => {
  dns = await startDnsServer([], { host: DNS_HOST });
});
after(async () => {
  await dns.close();
});

function publish(domains: string[], mx: string, address: string): void {
  for (const domain of domains) dns.set(...mailDomainRecords(domain, [{ name: mx, addresses: [address] }]));
}

function settings(port: number) {
  return {
    resolver: parseResolver(dns.address),
    port,
    trustStore: [testCa().cert],
    options: { timeout: 5 },
    egressCanary: [],
    // One domain a session: each domain is its own connection to the shared MX.
    domainsPerSession: 1,
  };
}

/** A scripted MX for every domain under `suffix`, with STARTTLS and PIPELINING. */
function startMx(host: string, suffix: string, tls: { refuseResumption?: boolean } = {}): Promise<ScriptedServer> {
  const hostname = `mx.${suffix}`;
  const { key, cert } = leafCertificate(hostname);
  return startScriptedServer({
    host,
    port: 0,
    script: (conn) =>
      runDialogue(conn, {
        hostname,
        extensions: ['PIPELINING', 'STARTTLS', 'ENHANCEDSTATUSCODES'],
        tls: { key, cert, ...tls },
        rcptTo: (address) =>
          address.toLowerCase().endsWith(`@${suffix}`) || address.toLowerCase().includes(`.${suffix}`)
            ? reply(250, '2.1.5 Ok')
            : reply(554, `5.7.1 <${address}>: Relay access denied`),
      }),
  });
}

function endpoint(obs: Observation) {
  assert.deepEqual(validateObservation(JSON.parse(JSON.stringify(obs))).errors, [], `${obs.domain}: schema`);
  assert.equal(obs.endpoints.length, 1);
  return obs.endpoints[0]!;
}

test('a later connection of a bulk run to the same MX resumes the session and reports the full handshake it resumed', async () => {
  const suffix = 'resume.test';
  const domains = ['a.resume.test', 'b.resume.test', 'c.resume.test'];
  const peer = await startMx(MX_HOST, suffix);
  publish(domains, `mx.${suffix}`, MX_HOST);
  try {
    const gate = createConnectionGate({ perAddress: 1 });
    const observations = await collectMany(domains, { ...settings(peer.port), gate });
    const eps = observations.map(endpoint);
    assert.deepEqual(
      peer.connections.map((c) => c.tls?.resumed),
      [false, true, true],
      'the first connection makes the full handshake, the others resume it',
    );
    const full = eps.filter((e) => e.starttls.tls?.resumed_from === undefined);
    const resumed = eps.filter((e) => e.starttls.tls?.resumed_from !== undefined);
    assert.equal(full.length, 1);
    assert.equal(resumed.length, 2);
    const first = full[0]!.starttls.tls!;
    assert.equal(first.chain.length, 2, 'leaf and the test CA');
    for (const e of resumed) {
      const tls = e.starttls.tls!;
      assert.equal(e.starttls.ok, true);
      assert.equal(e.error, null);
      // What the resumed handshake did not show is the full handshake's, dated.
      assert.deepEqual(tls.chain, first.chain);
      assert.equal(tls.chain_trusted, first.chain_trusted);
      assert.equal(tls.sni, `mx.${suffix}`);
      assert.equal(tls.version, first.version);
      const at = Date.parse(tls.resumed_from!);
      assert.ok(at <= Date.parse(e.started_at) && at >= Date.parse(full[0]!.started_at), tls.resumed_from);
      assert.ok(
        e.transcript.some((l) => /session resumed; certificate chain as presented at/.test(l.text)),
        'the transcript says the session was resumed',
      );
    }
    // Judged alike: resumption changes nothing a rule sees.
    const judged = observations.map((o) => findings(evaluate(o)).join('\n').replaceAll(o.domain, 'DOMAIN'));
    assert.equal(new Set(judged).size, 1, judged.join('\n---\n'));
  } finally {
    await peer.close();
  }
});

test('a single collect() never resumes: an operator re-checking after a fix sees the certificate of now', async () => {
  const suffix = 'fresh.test';
  const peer = await scenarios.healthy({
    host: SMTP_SERVER_HOST,
    port: 0,
    domain: `one.${suffix}`,
    mxName: `mx.${suffix}`,
  });
  publish([`one.${suffix}`], `mx.${suffix}`, SMTP_SERVER_HOST);
  try {
    const base = settings(peer.port);
    for (let i = 0; i < 2; i++) {
      const { domainsPerSession: _unused, options: _options, ...single } = base;
      const obs = await collect({ domain: `one.${suffix}`, timeout: 5 }, single);
      assert.equal(endpoint(obs).starttls.tls?.resumed_from, undefined);
    }
    assert.deepEqual(
      peer.connections.map((c) => c.tls?.resumed),
      [false, false],
    );
  } finally {
    await peer.close();
  }
});

test('a session older than the run keeps one makes a full handshake again', async () => {
  const suffix = 'aged.test';
  const domains = ['a.aged.test', 'b.aged.test'];
  const peer = await startMx(MX_HOST, suffix);
  publish(domains, `mx.${suffix}`, MX_HOST);
  try {
    let clock = 0;
    const tlsSessions = new TlsSessions({ maxAgeMs: 1000, now: () => clock });
    await collectMany(domains.slice(0, 1), { ...settings(peer.port), tlsSessions });
    clock = 999;
    await collectMany(domains.slice(0, 1), { ...settings(peer.port), tlsSessions });
    clock = 2500;
    const [late] = await collectMany(domains.slice(1), { ...settings(peer.port), tlsSessions });
    assert.equal(endpoint(late!).starttls.tls?.resumed_from, undefined);
    assert.deepEqual(
      peer.connections.map((c) => c.tls?.resumed),
      [false, true, false],
      'resumed within the age, full past it',
    );
  } finally {
    await peer.close();
  }
});

test('a server that fails a resumed handshake is not blamed for it: the checker makes a full handshake', async () => {
  const suffix = 'noresume.test';
  const domains = ['a.noresume.test', 'b.noresume.test'];
  const peer = await startMx(BROKEN_HOST, suffix, { refuseResumption: true });
  publish(domains, `mx.${suffix}`, BROKEN_HOST);
  try {
    const observations = await collectMany(domains, { ...settings(peer.port) });
    assert.equal(peer.connections.length, 3, 'full handshake, the refused resumption, a full handshake again');
    assert.equal(peer.connections[1]!.tlsError, 'refused a ClientHello offering to resume a session');
    assert.deepEqual(
      peer.connections.map((c) => c.tls?.resumed ?? null),
      [false, null, false],
    );
    for (const obs of observations) {
      const e = endpoint(obs);
      assert.equal(e.starttls.ok, true, obs.domain);
      assert.equal(e.starttls.tls?.resumed_from, undefined);
      assert.equal(e.plaintext_fallback, null, 'no plaintext fallback: the server was never at fault');
      const states = findings(evaluate(obs));
      assert.ok(!states.some((f) => /starttls/.test(f) && /^(CRIT|WARN)/.test(f)), states.join('\n'));
    }
    const retried = observations
      .map(endpoint)
      .filter((e) => e.transcript.some((l) => /makes a full handshake/.test(l.text)));
    assert.equal(retried.length, 1, 'one domain needed the second connection, and its transcript says why');
  } finally {
    await peer.close();
  }
});
