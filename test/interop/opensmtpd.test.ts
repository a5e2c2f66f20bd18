/**
 * The checker against a real OpenSMTPD (Debian's opensmtpd, unpacked by
 * install-mtas.sh), one throw-away instance per policy. Each test asserts the
 * exact findings, and that the replies the checker saw are those swaks showed
 * by hand (SWAKS below; regenerate with
 * `node --import tsx test/interop/swaks-compare.ts opensmtpd`).
 *
 * This build's STARTTLS fails with Debian 12's OpenSSL 3 (see opensmtpd.ts):
 * `healthy` and `auth_before_tls` keep `tls` on the listener and prove the
 * failed handshake is reported; the other policies listen without `tls`, so
 * their findings include the missing STARTTLS. AUTH is never offered before
 * TLS by OpenSMTPD (`auth` requires `tls`), which `auth_before_tls` proves is
 * not reported as plaintext AUTH.
 * Needs root and the MTAs (`sudo bash test/interop/install-mtas.sh`): skipped
 * in one line without them, failed instead when CI is set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findings } from '../integration/harness.js';
import { suiteNeeding } from '../prerequisites.js';
import { assertPoliteDialogue, interopDns, swaksViewOf, withMta, type SwaksView } from './interop-check.js';
import { OPENSMTPD } from './interop-mtas.js';
import type { MtaPolicy } from './mta-instance.js';
import { interopDecision } from './interop-prerequisites.js';
import { OPENSMTPD_TLS_POLICIES } from './opensmtpd.js';

/**
 * STARTTLS offered and failing; the transactions then run on a second
 * connection without STARTTLS, as senders fall back, and are all as they
 * should be: mail flows, unencrypted.
 */
const handshakeFailed = (s: string, d: string) => [
  `CRIT smtp.starttls.failed ${s}`,
  `INFO smtp.ext.missing ${s}`,
  `INFO smtp.ipv6.none ${d}`,
  `UNKNOWN smtp.tls.untested ${d}`,
];

/** A listener without `tls`, with the policy's own finding in its place. OpenSMTPD offers no PIPELINING: an INFO. */
const plaintext = (finding: (s: string, d: string) => string[]) => (s: string, d: string) => [
  `CRIT smtp.starttls.missing ${s}`,
  `CRIT smtp.all_no_starttls ${d}`,
  `UNKNOWN smtp.starttls.handshake_untested ${d}`,
  ...finding(s, d),
  `INFO smtp.ext.missing ${s}`,
  `INFO smtp.ipv6.none ${d}`,
  `UNKNOWN smtp.tls.untested ${d}`,
];

/**
 * `auth` on the listener: without TLS (the fallback) every MAIL is refused until AUTH, the null sender
 * included, so the probes with the checker's sender cannot be told either.
 */
const authRequired = (s: string, d: string) => [
  `CRIT smtp.starttls.failed ${s}`,
  `CRIT smtp.null_sender.rejected ${s}`,
  `UNKNOWN smtp.postmaster.untested ${s}`,
  `UNKNOWN smtp.open_relay.untested ${s}`,
  `INFO smtp.ext.missing ${s}`,
  `INFO smtp.ipv6.none ${d}`,
  `UNKNOWN smtp.tls.untested ${d}`,
];

/** Exact non-OK findings ("STATUS code subject"), for endpoint subject `s` and domain `d`. */
const EXPECTED: Record<MtaPolicy, (s: string, d: string) => string[]> = {
  healthy: handshakeFailed,
  open_relay: plaintext((s) => [`CRIT smtp.open_relay ${s}`]),
  no_starttls: plaintext(() => []),
  auth_before_tls: authRequired,
  auth_challenge_before_tls: authRequired,
  weak_certificate: handshakeFailed,
  null_sender_refused: plaintext((s) => [`CRIT smtp.null_sender.rejected ${s}`]),
  postmaster_refused: plaintext((s) => [`CRIT smtp.postmaster.rejected ${s}`]),
  greylisting: plaintext((s) => [`WARN smtp.null_sender.tempfail ${s}`, `WARN smtp.postmaster.tempfail ${s}`]),
};

const RECIPIENT_OK = '250 2.1.5 Destination address valid: Recipient ok';
const NO_RELAY = '550 Invalid recipient: <postmaster@example.com>';
const AUTH_FIRST = '530 5.5.1 Invalid command: Must issue an AUTH command first';
/** `auth` on the listener: TLS fails, and without TLS every MAIL is refused until AUTH (swaks without TLS). */
const AUTH_REQUIRED: SwaksView = {
  tls: 'failed',
  authBeforeTls: false,
  null_sender: [AUTH_FIRST, null],
  postmaster: [AUTH_FIRST, null],
  open_relay: [AUTH_FIRST, null],
};
/**
 * swaks: "*** TLS startup failed (connect(): error:0A000438:SSL routines::tlsv1
 * alert internal error)", then the server hangs up; swaks again without TLS,
 * as senders fall back: the replies a plaintext session gets.
 */
const TLS_FAILED: SwaksView = {
  tls: 'failed',
  authBeforeTls: false,
  null_sender: ['250 2.0.0 Ok', RECIPIENT_OK],
  postmaster: ['250 2.0.0 Ok', RECIPIENT_OK],
  open_relay: ['250 2.0.0 Ok', NO_RELAY],
};

/**
 * What swaks showed for each policy (swaks 20201014.0 against OpenSMTPD
 * 6.8.0p2, `--tls-optional --quit-after RCPT`): the replies the verdicts rest on.
 */
const SWAKS: Record<MtaPolicy, SwaksView> = {
  healthy: TLS_FAILED,
  open_relay: {
    tls: 'none',
    authBeforeTls: false,
    null_sender: ['250 2.0.0 Ok', RECIPIENT_OK],
    postmaster: ['250 2.0.0 Ok', RECIPIENT_OK],
    open_relay: ['250 2.0.0 Ok', RECIPIENT_OK],
  },
  no_starttls: {
    tls: 'none',
    authBeforeTls: false,
    null_sender: ['250 2.0.0 Ok', RECIPIENT_OK],
    postmaster: ['250 2.0.0 Ok', RECIPIENT_OK],
    open_relay: ['250 2.0.0 Ok', NO_RELAY],
  },
  auth_before_tls: AUTH_REQUIRED,
  auth_challenge_before_tls: AUTH_REQUIRED,
  weak_certificate: TLS_FAILED,
  null_sender_refused: {
    tls: 'none',
    authBeforeTls: false,
    null_sender: ['550 5.7.1 Null sender refused', null],
    postmaster: ['250 2.0.0 Ok', RECIPIENT_OK],
    open_relay: ['250 2.0.0 Ok', NO_RELAY],
  },
  postmaster_refused: {
    tls: 'none',
    authBeforeTls: false,
    null_sender: ['250 2.0.0 Ok', '550 Invalid recipient: <postmaster@opensmtpd-postmaster-refused.test>'],
    postmaster: ['250 2.0.0 Ok', '550 Invalid recipient: <postmaster@opensmtpd-postmaster-refused.test>'],
    open_relay: ['250 2.0.0 Ok', NO_RELAY],
  },
  greylisting: {
    tls: 'none',
    authBeforeTls: false,
    null_sender: ['250 2.0.0 Ok', '450 4.2.0 Greylisted, try again later'],
    postmaster: ['250 2.0.0 Ok', '450 4.2.0 Greylisted, try again later'],
    open_relay: ['250 2.0.0 Ok', NO_RELAY],
  },
};

suiteNeeding('OpenSMTPD', interopDecision([OPENSMTPD]), () => {
  const dns = interopDns();

  for (const policy of Object.keys(EXPECTED) as MtaPolicy[]) {
    test(`opensmtpd ${policy}: the findings and the replies swaks shows`, async () => {
      await withMta(dns(), OPENSMTPD, policy, async ({ states, observation, subject, setup }) => {
        assert.deepEqual(findings(states), EXPECTED[policy](subject, setup.domain));
        const ep = observation.endpoints[0]!;
        assert.deepEqual(swaksViewOf(ep), SWAKS[policy]);
        assertPoliteDialogue(ep);
        if (OPENSMTPD_TLS_POLICIES.has(policy)) {
          // The server's TLS alert, in plain words, is what the operator reads.
          assert.equal(ep.starttls.reply?.code, 220);
          assert.ok(ep.starttls.error, 'the failed handshake is recorded');
          assert.equal(ep.plaintext_fallback?.connected, true, 'a second connection, without STARTTLS');
          const failed = states.find((st) => st.code === 'smtp.starttls.failed')!;
          assert.match(
            failed.message,
            ep.transactions.some((t) => t.outcome === 'accepted')
              ? /Mail still flows, unencrypted/
              : /it refused the test transactions/,
          );
          assert.doesNotMatch(failed.message, /\.c:\d+|\n/, 'no OpenSSL source paths, no stray newlines');
          assert.ok(!ep.extensions?.keywords.includes('AUTH'), 'OpenSMTPD offers AUTH only inside TLS');
        }
      });
    });
  }
});
