/**
 * The checker against a real Exim (Debian's exim4-daemon-light, unpacked by
 * install-mtas.sh), one throw-away instance per policy. Each test asserts the
 * exact findings, and that the replies the checker saw are those swaks showed
 * by hand (SWAKS below; regenerate with
 * `node --import tsx test/interop/swaks-compare.ts exim`).
 * Needs root and the MTAs (`sudo bash test/interop/install-mtas.sh`): skipped
 * in one line without them, failed instead when CI is set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findings, runCheck } from '../integration/harness.js';
import { collectMany } from '../../src/collect/collect-many.js';
import { createConnectionGate } from '../../src/collect/connection-gate.js';
import { parseResolver } from '../../src/config/settings.js';
import { evaluate } from '../../src/rules/index.js';
import { leafCertificate } from '../peers/certs.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { tail } from './mta-process.js';
import { suiteNeeding } from '../prerequisites.js';
import {
  CHECK_TIMEOUT_S,
  assertPoliteDialogue,
  assertWeakChainRecorded,
  interopDns,
  swaksViewOf,
  withMta,
  type SwaksView,
} from './interop-check.js';
import { EXIM, EXIM_SECOND_HOST } from './interop-mtas.js';
import type { MtaPolicy } from './mta-instance.js';
import { interopDecision } from './interop-prerequisites.js';

/**
 * Exact non-OK findings ("STATUS code subject"), for endpoint subject `s` and
 * domain `d`. Exim does not implement ENHANCEDSTATUSCODES: an INFO everywhere.
 */
const EXPECTED: Record<MtaPolicy, (s: string, d: string) => string[]> = {
  healthy: (s, d) => [`INFO smtp.ext.missing ${s}`, `INFO smtp.ipv6.none ${d}`],
  open_relay: (s, d) => [`CRIT smtp.open_relay ${s}`, `INFO smtp.ext.missing ${s}`, `INFO smtp.ipv6.none ${d}`],
  no_starttls: (s, d) => [
    `CRIT smtp.starttls.missing ${s}`,
    `CRIT smtp.all_no_starttls ${d}`,
    `UNKNOWN smtp.starttls.handshake_untested ${d}`,
    `INFO smtp.ext.missing ${s}`,
    `INFO smtp.ipv6.none ${d}`,
    `UNKNOWN smtp.tls.untested ${d}`,
  ],
  auth_before_tls: (s, d) => [
    `CRIT smtp.auth.plaintext ${s}`,
    `INFO smtp.ext.missing ${s}`,
    `INFO smtp.ipv6.none ${d}`,
  ],
  auth_challenge_before_tls: (s, d) => [
    `WARN smtp.auth.before_tls ${s}`,
    `INFO smtp.ext.missing ${s}`,
    `INFO smtp.ipv6.none ${d}`,
  ],
  weak_certificate: (s, d) => [
    `INFO smtp.ext.missing ${s}`,
    `INFO smtp.ipv6.none ${d}`,
    `WARN smtp.tls.weak_key ${s}`,
    `WARN smtp.tls.weak_signature ${s}`,
  ],
  null_sender_refused: (s, d) => [
    `CRIT smtp.null_sender.rejected ${s}`,
    `INFO smtp.ext.missing ${s}`,
    `INFO smtp.ipv6.none ${d}`,
  ],
  postmaster_refused: (s, d) => [
    `CRIT smtp.postmaster.rejected ${s}`,
    `INFO smtp.ext.missing ${s}`,
    `INFO smtp.ipv6.none ${d}`,
  ],
  greylisting: (s, d) => [
    `WARN smtp.null_sender.tempfail ${s}`,
    `WARN smtp.postmaster.tempfail ${s}`,
    `INFO smtp.ext.missing ${s}`,
    `INFO smtp.ipv6.none ${d}`,
  ],
};

/**
 * What swaks showed for each policy (swaks 20201014.0 against Exim 4.96,
 * `--tls-optional --quit-after RCPT`): the replies the verdicts rest on.
 */
const SWAKS: Record<MtaPolicy, SwaksView> = {
  healthy: {
    tls: 'started',
    authBeforeTls: false,
    null_sender: ['250 OK', '250 Accepted'],
    postmaster: ['250 OK', '250 Accepted'],
    open_relay: ['250 OK', '550 relay not permitted'],
  },
  open_relay: {
    tls: 'started',
    authBeforeTls: false,
    null_sender: ['250 OK', '250 Accepted'],
    postmaster: ['250 OK', '250 Accepted'],
    open_relay: ['250 OK', '250 Accepted'],
  },
  no_starttls: {
    tls: 'none',
    authBeforeTls: false,
    null_sender: ['250 OK', '250 Accepted'],
    postmaster: ['250 OK', '250 Accepted'],
    open_relay: ['250 OK', '550 relay not permitted'],
  },
  auth_before_tls: {
    tls: 'started',
    authBeforeTls: true,
    null_sender: ['250 OK', '250 Accepted'],
    postmaster: ['250 OK', '250 Accepted'],
    open_relay: ['250 OK', '550 relay not permitted'],
  },
  auth_challenge_before_tls: {
    tls: 'started',
    authBeforeTls: true,
    null_sender: ['250 OK', '250 Accepted'],
    postmaster: ['250 OK', '250 Accepted'],
    open_relay: ['250 OK', '550 relay not permitted'],
  },
  // swaks (OpenSSL at Debian's level 2, but verifying nothing) negotiates with the weak certificate as the checker does.
  weak_certificate: {
    tls: 'started',
    authBeforeTls: false,
    null_sender: ['250 OK', '250 Accepted'],
    postmaster: ['250 OK', '250 Accepted'],
    open_relay: ['250 OK', '550 relay not permitted'],
  },
  null_sender_refused: {
    tls: 'started',
    authBeforeTls: false,
    // Refused at MAIL: swaks stops there; the checker's pipelined RCPT got "503 sender not yet given", not a verdict.
    null_sender: ['550 Null sender refused', null],
    postmaster: ['250 OK', '250 Accepted'],
    open_relay: ['250 OK', '550 relay not permitted'],
  },
  postmaster_refused: {
    tls: 'started',
    authBeforeTls: false,
    null_sender: ['250 OK', '550 Postmaster does not take mail here'],
    postmaster: ['250 OK', '550 Postmaster does not take mail here'],
    open_relay: ['250 OK', '550 relay not permitted'],
  },
  greylisting: {
    tls: 'started',
    authBeforeTls: false,
    // An ACL "defer" answers 451.
    null_sender: ['250 OK', '451 Greylisted, try again later'],
    postmaster: ['250 OK', '451 Greylisted, try again later'],
    open_relay: ['250 OK', '550 relay not permitted'],
  },
};

suiteNeeding('Exim', interopDecision([EXIM]), () => {
  const dns = interopDns();

  test("exim smtp_accept_max = 1 on two addresses: our parallel probe's 421 is retried alone, not reported", async () => {
    const domain = 'exim-one-at-a-time.test';
    const names = [`mx1.${domain}`, `mx2.${domain}`];
    const hosts = [EXIM.host, EXIM_SECOND_HOST];
    const tls = leafCertificate(names, { keyType: 'rsa', selfSigned: true });
    dns().set(
      ...mailDomainRecords(
        domain,
        names.map((name, i) => ({ name, addresses: [hosts[i]!] })),
      ),
    );
    const mta = await EXIM.start({
      host: EXIM.host,
      domain,
      mxName: names[0]!,
      policy: 'healthy',
      tls,
      connections: { alsoListenOn: [EXIM_SECOND_HOST], maxConnections: 1 },
    });
    try {
      const { observation, states } = await runCheck(
        dns(),
        mta.port,
        { domain, timeout: CHECK_TIMEOUT_S },
        { trustStore: [tls.cert] },
      );
      const [s1, s2] = hosts.map((h) => `${h}:${mta.port}`);
      // Before: WARN smtp.banner.tempfail on the endpoint whose probe met the first one's session.
      assert.deepEqual(findings(states), [
        `INFO smtp.ext.missing ${s1}`,
        `INFO smtp.ext.missing ${s2}`,
        `INFO smtp.ipv6.none ${domain}`,
      ]);
      const retried = observation.endpoints.filter((e) => e.retry !== null);
      assert.equal(retried.length, 1, "one probe met the other one's session");
      assert.equal(retried[0]!.retry!.reason, 'greeting_421');
      assert.match(retried[0]!.retry!.first_greeting?.lines[0] ?? '', /^421 .*Too many concurrent SMTP connections/);
      for (const e of observation.endpoints) {
        assert.equal(e.greeting?.code, 220);
        assert.equal(e.starttls.ok, true);
        assertPoliteDialogue(e);
      }
    } catch (err) {
      process.stderr.write(`\n--- ${mta.software} (smtp_accept_max = 1) log tail ---\n${tail(mta.logFile)}\n---\n`);
      throw err;
    } finally {
      await mta.stop();
    }
  });

  test('exim smtp_accept_max = 1 on two addresses, in bulk: the sessions that met its 421 are retried, none reported', async () => {
    // Seven domains, five a session: two sessions per address, the two addresses side by side in the
    // first round, so the limit is met there; the second attempts must not meet each other.
    const domains = Array.from({ length: 7 }, (_, i) => `d${i}.exim-many.test`);
    const names = ['mx1.exim-many.test', 'mx2.exim-many.test'];
    const hosts = [EXIM.host, EXIM_SECOND_HOST];
    const tls = leafCertificate(names, { keyType: 'rsa', selfSigned: true });
    for (const domain of domains)
      dns().set(
        ...mailDomainRecords(
          domain,
          names.map((name, i) => ({ name, addresses: [hosts[i]!] })),
        ),
      );
    const mta = await EXIM.start({
      host: EXIM.host,
      domain: domains[0]!,
      mxName: names[0]!,
      policy: 'healthy',
      tls,
      connections: { alsoListenOn: [EXIM_SECOND_HOST], maxConnections: 1 },
      tuning: { localDomains: domains.slice(1) },
    });
    try {
      const gate = createConnectionGate({ perAddress: 1 });
      const observations = await collectMany(domains, {
        resolver: parseResolver(dns().address),
        port: mta.port,
        trustStore: [tls.cert],
        options: { timeout: CHECK_TIMEOUT_S },
        egressCanary: [],
        gate,
      });
      const [s1, s2] = hosts.map((h) => `${h}:${mta.port}`);
      // Before: WARN smtp.banner.tempfail on every domain of each session that met another one.
      for (const obs of observations)
        assert.deepEqual(
          findings(evaluate(obs)),
          [`INFO smtp.ext.missing ${s1}`, `INFO smtp.ext.missing ${s2}`, `INFO smtp.ipv6.none ${obs.domain}`],
          obs.domain,
        );
      const retried = observations.flatMap((o) => o.endpoints).filter((e) => e.retry !== null);
      assert.ok(retried.length > 0, 'the first round met the limit');
      for (const e of retried) {
        assert.equal(e.retry!.reason, 'greeting_421');
        assert.match(e.retry!.first_greeting?.lines[0] ?? '', /^421 .*Too many concurrent SMTP connections/);
      }
      for (const e of observations.flatMap((o) => o.endpoints)) {
        assert.equal(e.greeting?.code, 220);
        assert.equal(e.starttls.ok, true);
        assertPoliteDialogue(e);
      }
      assert.equal(gate.stats().peakPerAddress, 1);
    } catch (err) {
      process.stderr.write(
        `\n--- ${mta.software} (smtp_accept_max = 1, bulk) log tail ---\n${tail(mta.logFile)}\n---\n`,
      );
      throw err;
    } finally {
      await mta.stop();
    }
  });

  for (const policy of Object.keys(EXPECTED) as MtaPolicy[]) {
    test(`exim ${policy}: the findings and the replies swaks shows`, async () => {
      await withMta(dns(), EXIM, policy, async ({ states, observation, subject, setup }) => {
        assert.deepEqual(findings(states), EXPECTED[policy](subject, setup.domain));
        const ep = observation.endpoints[0]!;
        assert.deepEqual(swaksViewOf(ep), SWAKS[policy]);
        assertPoliteDialogue(ep);
        assert.equal(ep.pipelined, true, 'Exim advertises PIPELINING');
        if (policy === 'auth_challenge_before_tls') assert.deepEqual(ep.extensions?.auth, ['CRAM-MD5']);
        // Exim's GnuTLS serves the RSA-1024, SHA-1-signed certificate at its default priorities.
        if (policy === 'weak_certificate') assertWeakChainRecorded(ep);
      });
    });
  }
});
