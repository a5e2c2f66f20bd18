/**
 * The whole pipeline against one real SMTP peer per scenario on loopback:
 * DNS from the in-process server, SMTP from smtp-server or the scripted
 * server. Each scenario asserts the exact codes the rules give, and what the
 * peer saw of us (never DATA, never early talk, pipelining only when offered).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioName, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { findings, problems, runCheck, type CheckResult } from './harness.js';

let dns: DnsServer;
let nextHost = 30;

before(async () => {
  dns = await startDnsServer([]);
});
after(async () => {
  await dns.close();
});

/** Publish `<scenario>.test` with one MX on its own 127.0.0.x, start the peer, check the domain. */
async function check(
  name: ScenarioName,
  options: Record<string, unknown> = {},
): Promise<CheckResult & { peer: ScenarioPeer; subject: string; domain: string }> {
  const domain = `${name.toLowerCase()}.test`;
  const host = `127.0.0.${nextHost++}`;
  dns.set(...mailDomainRecords(domain, [{ name: `mx.${domain}`, addresses: [host] }]));
  const peer = await scenarios[name]({ host, port: 0, domain, mxName: `mx.${domain}` });
  try {
    const result = await runCheck(dns, peer.port, { domain, ...options });
    assert.equal(peer.sentData, false, 'a probe must never send DATA');
    assert.equal(peer.spokeEarly, false, 'nothing may be sent before the whole greeting');
    return { ...result, peer, subject: `${host}:${peer.port}`, domain };
  } finally {
    await peer.close();
  }
}

test('healthy server: STARTTLS, pipelined transactions, only informational notes', async () => {
  const { states, observation, peer, subject, domain } = await check('healthy');
  // smtp-server advertises neither ENHANCEDSTATUSCODES nor IPv6 here: both are INFO, nothing to fix.
  assert.deepEqual(findings(states), [`INFO smtp.ext.missing ${subject}`, `INFO smtp.ipv6.none ${domain}`]);
  const ep = observation.endpoints[0]!;
  assert.equal(ep.starttls.ok, true);
  assert.equal(ep.starttls.tls?.chain_trusted, true);
  assert.match(ep.starttls.tls?.version ?? '', /^TLSv1\.[23]$/);
  assert.equal(ep.pipelined, true);
  assert.equal(peer.pipelined, true);
  assert.deepEqual(
    ep.transactions.map((t) => `${t.kind}:${t.outcome}`),
    ['null_sender:accepted', 'postmaster:accepted', 'open_relay:rejected'],
  );
  // The null-sender transaction went in STARTTLS's plaintext flight; everything after STARTTLS inside TLS,
  // EHLO said again, then the relay probe.
  assert.deepEqual(peer.commandsAfterTls.slice(0, 2), [
    'EHLO mx-checker.happydomain.org',
    'MAIL FROM:<postmaster@mx-checker.happydomain.org>',
  ]);
  assert.deepEqual(
    ep.transactions.map((t) => [t.tls, t.answered_by]),
    [
      [false, null],
      [false, 'null_sender'],
      [true, null],
    ],
  );
  assert.equal(ep.reverse_dns.fcrdns, true);
  assert.ok(ep.transcript.some((l) => l.dir === 'C' && l.text === 'STARTTLS'));
  assert.ok(ep.timings.connect_ms !== null && ep.timings.greeting_ms !== null && ep.timings.tls_ms !== null);
});

test('no STARTTLS: missing on the endpoint and on the whole domain', async () => {
  const { states, subject, domain } = await check('noStartTls');
  assert.deepEqual(problems(states), [`CRIT smtp.starttls.missing ${subject}`, `CRIT smtp.all_no_starttls ${domain}`]);
  const fix = states.find((s) => s.code === 'smtp.all_no_starttls')?.meta?.['fix'];
  assert.match(String(fix), /smtpd_tls_security_level/);
});

test('AUTH before STARTTLS is a plaintext-credentials finding', async () => {
  const { states, subject } = await check('authBeforeTls');
  assert.deepEqual(problems(states), [`CRIT smtp.auth.plaintext ${subject}`]);
  assert.match(String(states.find((s) => s.code === 'smtp.auth.plaintext')?.meta?.['fix']), /smtpd_tls_auth_only/);
});

test('AUTH CRAM-MD5 before STARTTLS is a login before TLS, not clear-text credentials', async () => {
  const { states, observation, subject } = await check('authChallengeBeforeTls');
  assert.deepEqual(observation.endpoints[0]!.extensions?.auth, ['CRAM-MD5']);
  assert.deepEqual(problems(states), [`WARN smtp.auth.before_tls ${subject}`]);
  const state = states.find((s) => s.code === 'smtp.auth.before_tls')!;
  assert.match(state.message, /\(CRAM-MD5\) before STARTTLS\. It sends no reusable secret, but .* offline/);
  assert.match(String(state.meta?.['fix']), /smtpd_tls_auth_only = yes/);
});

test('a greeting masked by a firewall (Cisco ASA inspect esmtp) names the firewall, and its hidden STARTTLS is missing', async () => {
  const { states, observation, subject, domain } = await check('maskedGreeting');
  assert.match(observation.endpoints[0]!.greeting!.lines[0]!, /^220 \*{20,}[*02]*$/);
  assert.equal(observation.endpoints[0]!.greeting_host, null);
  assert.deepEqual(problems(states), [
    `WARN smtp.banner.no_hostname ${subject}`,
    `CRIT smtp.starttls.missing ${subject}`,
    `CRIT smtp.all_no_starttls ${domain}`,
  ]);
  const banner = states.find((s) => s.code === 'smtp.banner.no_hostname')!;
  assert.match(banner.message, /firewall's SMTP inspection \(Cisco PIX\/ASA/);
  assert.match(String(banner.meta?.['fix']), /no inspect esmtp/);
  assert.match(String(banner.meta?.['fix']), /"220 mx\.maskedgreeting\.test ESMTP"/);
});

test('an RSA-1024 certificate signed with SHA-1: handshake at level 0, and what default security refuses is reported', async () => {
  const { states, observation, subject } = await check('weakCertificate');
  const tls = observation.endpoints[0]!.starttls.tls!;
  // Our own handshake, at security level 0, verifies the chain: the verdict alone would say "trusted".
  assert.equal(tls.chain_trusted, true);
  assert.deepEqual(
    tls.chain.map((c) => [c.key_type, c.key_bits, c.signature_algorithm, c.self_signed]),
    [
      ['RSA', 1024, 'ecdsa-with-SHA1', false],
      ['EC prime256v1', 256, 'ecdsa-with-SHA256', true],
    ],
  );
  assert.deepEqual(problems(states), [`WARN smtp.tls.weak_key ${subject}`, `WARN smtp.tls.weak_signature ${subject}`]);
  const key = states.find((s) => s.code === 'smtp.tls.weak_key')!;
  assert.match(key.message, /the leaf CN=mx\.weakcertificate\.test \(RSA 1024 bits\)/);
  assert.match(key.message, /although it verifies at the lowest security level our probe uses/);
  const signature = states.find((s) => s.code === 'smtp.tls.weak_signature')!;
  assert.match(signature.message, /the leaf CN=mx\.weakcertificate\.test \(signed with ecdsa-with-SHA1\)/);
});

test("a TLS alert from the server is recorded in OpenSSL's words, without its source paths", async () => {
  const { observation } = await check('tlsNoSharedCipher');
  const error = observation.endpoints[0]!.starttls.error;
  assert.equal(error?.code, 'tls.handshake');
  assert.equal(error?.message, 'TLS handshake failed: sslv3 alert handshake failure (SSL alert number 40)');
});

test('EHLO refused, HELO accepted: fallback flagged, no ESMTP extensions', async () => {
  const { states, observation, subject, domain } = await check('ehloRefused');
  assert.deepEqual(problems(states), [
    `WARN smtp.ehlo.helo_fallback ${subject}`,
    `CRIT smtp.starttls.missing ${subject}`,
    `CRIT smtp.all_no_starttls ${domain}`,
  ]);
  const ep = observation.endpoints[0]!;
  assert.equal(ep.helo_fallback, true);
  assert.equal(ep.pipelined, false);
  assert.deepEqual(
    ep.transactions.map((t) => t.outcome),
    ['accepted', 'accepted', 'rejected'],
  );
});

test('554 greeting: banner invalid, nothing else attempted but QUIT', async () => {
  const { states, observation, peer, subject } = await check('greeting554');
  assert.deepEqual(problems(states), [`CRIT smtp.banner.invalid ${subject}`]);
  assert.deepEqual(peer.commands, ['QUIT']);
  assert.deepEqual(
    observation.endpoints[0]!.transactions.map((t) => t.note),
    Array(3).fill('not run: the server greeted with 554'),
  );
});

test('421 greeting: temporary, the rest could not be tested', async () => {
  const { states, peer, subject } = await check('greeting421');
  assert.deepEqual(problems(states), [`WARN smtp.banner.tempfail ${subject}`]);
  assert.ok(findings(states).includes(`UNKNOWN smtp.open_relay.untested greeting421.test`));
  assert.deepEqual(peer.commands, []);
});

test('slow multi-line greeting from a server that drops early talkers: we wait for all of it', async () => {
  const { states, observation } = await check('slowGreeting');
  assert.deepEqual(problems(states), []);
  const greeting = observation.endpoints[0]!.greeting!;
  assert.equal(greeting.code, 220);
  assert.ok(greeting.lines.length > 1, 'the whole multi-line greeting is kept');
});

test('open relay: CRIT with the relay fix', async () => {
  const { states, subject } = await check('openRelay');
  assert.deepEqual(problems(states), [`CRIT smtp.open_relay ${subject}`]);
  const relay = states.find((s) => s.code === 'smtp.open_relay')!;
  assert.match(relay.message, /postmaster@example\.com/);
  assert.match(String(relay.meta?.['fix']), /reject_unauth_destination/);
});

test('null sender refused', async () => {
  const { states, subject } = await check('nullSenderRefused');
  assert.deepEqual(problems(states), [`CRIT smtp.null_sender.rejected ${subject}`]);
});

test('postmaster refused', async () => {
  const { states, subject } = await check('postmasterRefused');
  assert.deepEqual(problems(states), [`CRIT smtp.postmaster.rejected ${subject}`]);
  assert.match(states.find((s) => s.code === 'smtp.postmaster.rejected')!.message, /550 5\.1\.1/);
});

test('greylisting 450 at RCPT: temporary everywhere, never accepted nor rejected', async () => {
  const { states, observation, subject } = await check('greylisting');
  assert.deepEqual(problems(states), [
    `WARN smtp.null_sender.tempfail ${subject}`,
    `WARN smtp.postmaster.tempfail ${subject}`,
    `UNKNOWN smtp.open_relay.tempfail ${subject}`,
  ]);
  assert.deepEqual(
    observation.endpoints[0]!.transactions.map((t) => t.outcome),
    ['tempfail', 'tempfail', 'tempfail'],
  );
});

test('silence after connect: banner timeout within the budget', async () => {
  const started = Date.now();
  const { states, observation, subject } = await check('silent', { timeout: 1 });
  const elapsed = Date.now() - started;
  // Not blamed: senders wait 5 minutes for a greeting, the checker only its budget.
  assert.deepEqual(problems(states), [`UNKNOWN smtp.banner.timeout ${subject}`]);
  assert.deepEqual(observation.endpoints[0]!.error, {
    code: 'timeout',
    phase: 'greeting',
    message: 'the 1 s time budget ran out',
  });
  assert.ok(elapsed < 2500, `a 1 s budget took ${elapsed} ms`);
});

test('no PIPELINING advertised: one command at a time, and the strict server is satisfied', async () => {
  const { states, observation, peer, subject } = await check('noPipelining');
  assert.deepEqual(findings(states), [`INFO smtp.ext.missing ${subject}`, 'INFO smtp.ipv6.none nopipelining.test']);
  assert.equal(peer.pipelined, false);
  assert.equal(observation.endpoints[0]!.pipelined, false);
  assert.deepEqual(
    observation.endpoints[0]!.transactions.map((t) => t.outcome),
    ['accepted', 'accepted', 'rejected'],
  );
  // QUIT aborts the last transaction (RFC 5321 §4.1.1.10): no RSET round trip before it; the null sender,
  // accepted at postmaster@, answers that probe, so two transactions go on the wire.
  assert.deepEqual(peer.commands.slice(-3), [
    'MAIL FROM:<postmaster@mx-checker.happydomain.org>',
    'RCPT TO:<postmaster@example.com>',
    'QUIT',
  ]);
  assert.equal(peer.commands.filter((c) => c === 'RSET').length, 1);
  assert.deepEqual(
    observation.endpoints[0]!.transactions.map((t) => t.rset?.code ?? null),
    [250, 250, null],
  );
  assert.equal(observation.endpoints[0]!.quit?.code, 221);
});

test('plaintext injected after the STARTTLS 220 is discarded, never read as a reply', async () => {
  const { states, observation, peer, subject } = await check('starttlsInjection');
  assert.deepEqual(problems(states), [`WARN smtp.starttls.plaintext_injected ${subject}`]);
  const ep = observation.endpoints[0]!;
  assert.equal(ep.starttls.ok, true);
  assert.ok(ep.starttls.discarded_bytes > 0);
  // The injected "250 PIPELINING" must not have made us pipeline inside TLS.
  assert.equal(ep.pipelined, false);
  assert.equal(peer.pipelined, false);
  assert.equal(peer.commandsAfterTls[0], 'EHLO mx-checker.happydomain.org');
  assert.ok(
    !ep.transcript.some((l) => l.dir === 'S' && /evil/.test(l.text)),
    'injected lines never reach the transcript as replies',
  );
});

test('TLS 1.0-only server still handshakes, and the old version is reported', async () => {
  const { states, observation, subject } = await check('tls10Only');
  assert.deepEqual(problems(states), [`WARN smtp.tls.old_version ${subject}`]);
  assert.equal(observation.endpoints[0]!.starttls.tls?.version, 'TLSv1');
});

test('switched-off probes are not sent and their rules say so', async () => {
  const { states, peer, domain } = await check('healthy', {
    test_null_sender: 'false',
    test_postmaster: false,
    test_open_relay: '0',
  });
  assert.ok(!peer.commands.some((c) => c.startsWith('MAIL') || c.startsWith('RCPT')));
  for (const code of ['smtp.null_sender.skipped', 'smtp.postmaster.skipped', 'smtp.open_relay.skipped']) {
    assert.ok(findings(states).includes(`INFO ${code} ${domain}`), code);
  }
});
