/**
 * Verdicts that hold on real servers: real Postfix and Exim configurations
 * that operators run (anti-spam checks on the client, the HELO name and the
 * sender; per-client limits; error sleeps; greeting delays; TLS required or
 * broken), each proven to get the verdict it deserves. A refusal aimed at the
 * checker is never the server's fault; a delay or limit the checker caused is
 * never blamed on the server; a real problem is never missed.
 *
 * The MTAs run with a dead resolver (mta-process.ts), so every DNS check they
 * make fails temporarily: a 450/451 where a live resolver would give a 550.
 * The verdict is the same either way: the refusal names who it is about.
 * Needs root and the MTAs (`sudo bash test/interop/install-mtas.sh`): skipped
 * in one line without them, failed instead when CI is set.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findings } from '../integration/harness.js';
import { suiteNeeding } from '../prerequisites.js';
import { CHECK_TIMEOUT_S, interopDns, withMta, type MtaVariant } from './interop-check.js';
import { collectMany } from '../../src/collect/collect-many.js';
import { TlsSessions } from '../../src/collect/tls/tls-sessions.js';
import { parseResolver } from '../../src/config/settings.js';
import { evaluate } from '../../src/rules/index.js';
import { EXIM_TUNED, POSTFIX_TUNED, type InteropMta } from './interop-mtas.js';
import { interopDecision } from './interop-prerequisites.js';
import type { CheckState } from '../../src/model/status.js';
import type { EndpointProbe } from '../../src/model/observation.js';

interface Case {
  mta: InteropMta;
  variant: MtaVariant & { name: string };
  /** Exact non-OK findings ("STATUS code subject"), for endpoint subject `s` and domain `d`. */
  expected: (s: string, d: string) => string[];
  /** What else the case proves, from the states and the endpoint. */
  also?: (states: CheckState[], ep: EndpointProbe) => void;
}

/** Exim without ENHANCEDSTATUSCODES in its EHLO: an INFO on every Exim run. */
const eximInfo = (s: string, d: string) => [`INFO smtp.ext.missing ${s}`, `INFO smtp.ipv6.none ${d}`];
const postfixInfo = (_s: string, d: string) => [`INFO smtp.ipv6.none ${d}`];

const messageOf = (states: CheckState[], code: string): string => {
  const state = states.find((s) => s.code === code);
  assert.ok(state, `a ${code} state`);
  return `${state.message}\nfix: ${String(state.meta?.['fix'] ?? '')}`;
};

const CASES: Case[] = [
  {
    // Postfix reject_unknown_client_hostname: the checker's address has no name here.
    mta: POSTFIX_TUNED,
    variant: {
      name: 'unknown-client',
      tuning: {
        main: ['smtpd_peername_lookup = yes', 'smtpd_client_restrictions = reject_unknown_client_hostname'],
        noLoopbackName: true,
      },
    },
    expected: (s, d) => [
      `UNKNOWN smtp.null_sender.checker_refused ${s}`,
      `UNKNOWN smtp.postmaster.checker_refused ${s}`,
      `UNKNOWN smtp.open_relay.checker_refused ${s}`,
      ...postfixInfo(s, d),
    ],
    also: (states) => {
      assert.match(messageOf(states, 'smtp.postmaster.checker_refused'), /a refusal of the checker's address/);
      assert.match(messageOf(states, 'smtp.postmaster.checker_refused'), /forward-confirmed reverse DNS/);
    },
  },
  {
    // Relaying for every client with a name: an open relay for the world's real senders. Refused to the
    // nameless checker, which must not call that "refuses to relay".
    mta: POSTFIX_TUNED,
    variant: {
      name: 'relay-for-named-clients',
      tuning: {
        main: [
          'smtpd_peername_lookup = yes',
          // Any client with a host name may relay: the world's real senders have one.
          'smtpd_relay_restrictions = reject_unknown_client_hostname, check_reverse_client_hostname_access regexp:{ {/./ OK} }, reject_unauth_destination',
        ],
        noLoopbackName: true,
      },
    },
    expected: (s, d) => [
      `UNKNOWN smtp.null_sender.checker_refused ${s}`,
      `UNKNOWN smtp.postmaster.checker_refused ${s}`,
      `UNKNOWN smtp.open_relay.checker_refused ${s}`,
      ...postfixInfo(s, d),
    ],
    also: (states) => assert.ok(!states.some((st) => st.code === 'smtp.open_relay.ok'), 'never "refuses to relay"'),
  },
  {
    // Postfix reject_unknown_helo_hostname: the checker's HELO name does not resolve here.
    mta: POSTFIX_TUNED,
    variant: {
      name: 'unknown-helo',
      tuning: { main: ['smtpd_helo_required = yes', 'smtpd_helo_restrictions = reject_unknown_helo_hostname'] },
    },
    expected: (s, d) => [
      `UNKNOWN smtp.null_sender.checker_refused ${s}`,
      `UNKNOWN smtp.postmaster.checker_refused ${s}`,
      ...postfixInfo(s, d),
    ],
    also: (states) => {
      const text = messageOf(states, 'smtp.null_sender.checker_refused');
      assert.match(text, /a refusal of the checker's HELO name/);
      assert.match(text, /--helo/);
      assert.doesNotMatch(text, /greylisting/);
    },
  },
  {
    // Exim's stock "require verify = sender": the checker's sender domain does not resolve here. The
    // null sender is not verified, so it answers the postmaster question; the relay probe is refused for
    // its sender, which leaves relaying untested.
    mta: EXIM_TUNED,
    variant: { name: 'sender-verify', tuning: { rcptAclFirst: '  require verify = sender' } },
    expected: (s, d) => [`UNKNOWN smtp.open_relay.checker_refused ${s}`, ...eximInfo(s, d)],
    also: (states, ep) => {
      assert.match(messageOf(states, 'smtp.open_relay.checker_refused'), /a refusal of the checker's sender/);
      assert.match(messageOf(states, 'smtp.open_relay.checker_refused'), /--mail-from/);
      assert.equal(ep.transactions.find((t) => t.kind === 'postmaster')?.answered_by, 'null_sender');
    },
  },
  {
    // The same Exim, the checker given a sender it can verify (a mail domain of its own, no DNS needed).
    mta: EXIM_TUNED,
    variant: {
      name: 'sender-verify-fixed',
      tuning: { rcptAclFirst: '  require verify = sender', localDomains: ['checker.test'] },
      options: { test_mail_from: 'probe@checker.test' },
    },
    expected: eximInfo,
    also: (_states, ep) => {
      const relay = ep.transactions.find((t) => t.kind === 'open_relay')!;
      assert.equal(relay.mail_from, 'probe@checker.test');
      assert.match(relay.rcpt?.lines[0] ?? '', /relay not permitted/);
    },
  },
  {
    // Postfix smtpd_client_message_rate_limit = 1: the checker's first transaction uses the quota.
    mta: POSTFIX_TUNED,
    variant: { name: 'message-rate', tuning: { main: ['smtpd_client_message_rate_limit = 1'] } },
    expected: (s, d) => [`UNKNOWN smtp.open_relay.checker_refused ${s}`, ...postfixInfo(s, d)],
    also: (states, ep) => {
      assert.match(messageOf(states, 'smtp.open_relay.checker_refused'), /1 earlier transaction on this connection/);
      // Two MAIL transactions for the three answers: the null sender's answered for postmaster.
      assert.equal(ep.transactions.filter((t) => t.sequence > 0 && t.answered_by === null).length, 2);
    },
  },
  {
    // Postfix error sleep longer than the checker's budget: the relay refusal is an error, and every
    // reply after it comes late.
    mta: POSTFIX_TUNED,
    variant: {
      name: 'error-sleep',
      tuning: { main: ['smtpd_error_sleep_time = 8s', 'smtpd_soft_error_limit = 1'] },
      options: { timeout: 4 },
    },
    expected: (s, d) => [`UNKNOWN smtp.open_relay.no_answer ${s}`, ...postfixInfo(s, d)],
    also: (states, ep) => {
      assert.ok(ep.outstanding.length > 0, 'the replies still outstanding are recorded');
      assert.match(messageOf(states, 'smtp.open_relay.no_answer'), /held back its replies/);
    },
  },
  {
    // Postfix smtpd_tls_security_level = encrypt on a public MX: RFC 3207 §4 says it must not.
    mta: POSTFIX_TUNED,
    variant: { name: 'tls-required', tuning: { main: ['smtpd_tls_security_level = encrypt'] } },
    expected: (s, d) => [`WARN smtp.starttls.required ${s}`, ...postfixInfo(s, d)],
    also: (_states, ep) => {
      assert.equal(ep.starttls.plaintext_refused?.reply.code, 530);
      assert.deepEqual(
        ep.transactions.map((t) => `${t.kind}:${t.outcome}:${t.tls}`),
        ['null_sender:accepted:true', 'postmaster:accepted:true', 'open_relay:rejected:true'],
      );
    },
  },
  {
    // Postfix whose TLS cannot agree on anything with the checker (TLS 1.2 only, no cipher left): the
    // handshake fails, and senders that fall back to plaintext (as Postfix and Exim do) still deliver.
    mta: POSTFIX_TUNED,
    variant: {
      name: 'tls-broken',
      tuning: { main: ['smtpd_tls_protocols = >=TLSv1.2, <=TLSv1.2', 'smtpd_tls_exclude_ciphers = ALL'] },
    },
    expected: (s, d) => [`CRIT smtp.starttls.failed ${s}`, ...postfixInfo(s, d), `UNKNOWN smtp.tls.untested ${d}`],
    also: (states, ep) => {
      assert.equal(ep.plaintext_fallback?.connected, true);
      assert.match(messageOf(states, 'smtp.starttls.failed'), /Mail still flows, unencrypted/);
      assert.doesNotMatch(messageOf(states, 'smtp.starttls.failed'), /\.c:\d+|\n[^f]/);
    },
  },
  {
    // Exim pausing before its greeting (acl_smtp_connect delay): longer than the budget is not a fault.
    mta: EXIM_TUNED,
    variant: {
      name: 'greeting-delay',
      tuning: { main: ['acl_smtp_connect = acl_check_connect'], acl: 'acl_check_connect:\n  accept delay = 5s\n' },
      options: { timeout: 2 },
    },
    expected: (s, d) => [
      `UNKNOWN smtp.banner.timeout ${s}`,
      `UNKNOWN smtp.ehlo.untested ${d}`,
      `UNKNOWN smtp.starttls.untested ${d}`,
      `UNKNOWN smtp.starttls.handshake_untested ${d}`,
      `UNKNOWN smtp.auth.untested ${d}`,
      `UNKNOWN smtp.null_sender.untested ${d}`,
      `UNKNOWN smtp.postmaster.untested ${d}`,
      `UNKNOWN smtp.open_relay.untested ${d}`,
      `UNKNOWN smtp.ext.untested ${d}`,
      `INFO smtp.ipv6.none ${d}`,
      `UNKNOWN smtp.tls.untested ${d}`,
    ],
    also: (states) => assert.match(messageOf(states, 'smtp.banner.timeout'), /Senders wait up to 5 minutes/),
  },
  {
    // The same delay within a budget that waits long enough: a healthy server.
    mta: EXIM_TUNED,
    variant: {
      name: 'greeting-delay-waited',
      tuning: { main: ['acl_smtp_connect = acl_check_connect'], acl: 'acl_check_connect:\n  accept delay = 3s\n' },
      options: { timeout: 10 },
    },
    expected: eximInfo,
  },
];

suiteNeeding('verdicts on real servers', interopDecision([POSTFIX_TUNED, EXIM_TUNED]), () => {
  const dns = interopDns();
  describe('verdicts on real servers', () => {
    for (const c of CASES) {
      test(`${c.mta.prefix} ${c.variant.name}`, async () => {
        await withMta(
          dns(),
          c.mta,
          'healthy',
          async ({ states, observation, subject, setup }) => {
            assert.deepEqual(findings(states), c.expected(subject, setup.domain));
            c.also?.(states, observation.endpoints[0]!);
          },
          c.variant,
        );
      });
    }
    // A bulk run's later connection offers to resume the TLS session. Postfix resumes it, Exim only with
    // tls_resumption_hosts (off by default: it makes a full handshake instead); the verdict never changes.
    const resumptionCases: { mta: InteropMta; variant: MtaVariant & { name: string }; resumes: boolean }[] = [
      { mta: POSTFIX_TUNED, variant: { name: 'resumption' }, resumes: true },
      { mta: EXIM_TUNED, variant: { name: 'resumption-default' }, resumes: false },
      {
        mta: EXIM_TUNED,
        variant: { name: 'resumption', tuning: { main: ['tls_resumption_hosts = *'] } },
        resumes: true,
      },
    ];
    for (const c of resumptionCases) {
      test(`${c.mta.prefix} ${c.variant.name}: a bulk run's second connection`, async () => {
        await withMta(
          dns(),
          c.mta,
          'healthy',
          async ({ states, setup, mta: instance }) => {
            const settings = {
              resolver: parseResolver(dns().address),
              port: instance.port,
              trustStore: [setup.tls.ca],
              egressCanary: [],
              options: { timeout: CHECK_TIMEOUT_S },
              tlsSessions: new TlsSessions(),
            };
            const [first] = await collectMany([setup.domain], settings);
            const [second] = await collectMany([setup.domain], settings);
            const [a, b] = [first!.endpoints[0]!, second!.endpoints[0]!];
            assert.equal(a.starttls.tls?.resumed_from, undefined, 'the first connection makes a full handshake');
            assert.equal(
              b.starttls.tls?.resumed_from !== undefined,
              c.resumes,
              `resumed: ${b.transcript.find((l) => l.text.startsWith('TLS established'))?.text}`,
            );
            assert.deepEqual(b.starttls.tls?.chain, a.starttls.tls!.chain);
            assert.equal(b.error, null);
            // The same verdict as the single check withMta ran, and as the full handshake.
            assert.deepEqual(findings(evaluate(second!)), findings(states));
            assert.deepEqual(findings(evaluate(first!)), findings(states));
          },
          c.variant,
        );
      });
    }
  });
});
