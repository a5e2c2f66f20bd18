/**
 * The checker against a real Postfix (Debian's postfix package), one
 * throw-away instance per policy, then the same policies behind postscreen.
 * Each test asserts the exact findings, and that the replies the checker saw
 * are those swaks showed by hand (SWAKS below; regenerate with
 * `node --import tsx test/interop/swaks-compare.ts postfix postscreen`).
 * Needs root and the MTAs (`sudo bash test/interop/install-mtas.sh`): skipped
 * in one line without them, failed instead when CI is set.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { findings } from '../integration/harness.js';
import { suiteNeeding } from '../prerequisites.js';
import {
  assertPoliteDialogue,
  assertWeakChainRecorded,
  interopDns,
  swaksViewOf,
  withMta,
  type SwaksView,
} from './interop-check.js';
import { POSTFIX, POSTFIX_POSTSCREEN } from './interop-mtas.js';
import type { MtaPolicy } from './mta-instance.js';
import { interopDecision } from './interop-prerequisites.js';
import { POSTSCREEN_GREET_WAIT_S } from './postfix.js';
import { waitFor } from './mta-process.js';

/** Exact non-OK findings ("STATUS code subject"), for endpoint subject `s` and domain `d`. */
const EXPECTED: Record<MtaPolicy, (s: string, d: string) => string[]> = {
  healthy: (_s, d) => [`INFO smtp.ipv6.none ${d}`],
  open_relay: (s, d) => [`CRIT smtp.open_relay ${s}`, `INFO smtp.ipv6.none ${d}`],
  no_starttls: (s, d) => [
    `CRIT smtp.starttls.missing ${s}`,
    `CRIT smtp.all_no_starttls ${d}`,
    `UNKNOWN smtp.starttls.handshake_untested ${d}`,
    `INFO smtp.ipv6.none ${d}`,
    `UNKNOWN smtp.tls.untested ${d}`,
  ],
  auth_before_tls: (s, d) => [`CRIT smtp.auth.plaintext ${s}`, `INFO smtp.ipv6.none ${d}`],
  auth_challenge_before_tls: (s, d) => [`WARN smtp.auth.before_tls ${s}`, `INFO smtp.ipv6.none ${d}`],
  weak_certificate: (s, d) => [
    `INFO smtp.ipv6.none ${d}`,
    `WARN smtp.tls.weak_key ${s}`,
    `WARN smtp.tls.weak_signature ${s}`,
  ],
  null_sender_refused: (s, d) => [`CRIT smtp.null_sender.rejected ${s}`, `INFO smtp.ipv6.none ${d}`],
  postmaster_refused: (s, d) => [`CRIT smtp.postmaster.rejected ${s}`, `INFO smtp.ipv6.none ${d}`],
  greylisting: (s, d) => [
    `WARN smtp.null_sender.tempfail ${s}`,
    `WARN smtp.postmaster.tempfail ${s}`,
    `INFO smtp.ipv6.none ${d}`,
  ],
};

/**
 * What swaks showed for each policy (swaks 20201014.0 against Postfix 3.7.11,
 * `--tls-optional --quit-after RCPT`): the replies the verdicts rest on.
 */
const SWAKS: Record<MtaPolicy, SwaksView> = {
  healthy: {
    tls: 'started',
    authBeforeTls: false,
    null_sender: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    postmaster: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    open_relay: ['250 2.1.0 Ok', '554 5.7.1 <postmaster@example.com>: Relay access denied'],
  },
  open_relay: {
    tls: 'started',
    authBeforeTls: false,
    null_sender: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    postmaster: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    open_relay: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
  },
  no_starttls: {
    tls: 'none',
    authBeforeTls: false,
    null_sender: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    postmaster: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    open_relay: ['250 2.1.0 Ok', '554 5.7.1 <postmaster@example.com>: Relay access denied'],
  },
  auth_before_tls: {
    tls: 'started',
    authBeforeTls: true,
    null_sender: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    postmaster: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    open_relay: ['250 2.1.0 Ok', '554 5.7.1 <postmaster@example.com>: Relay access denied'],
  },
  auth_challenge_before_tls: {
    tls: 'started',
    authBeforeTls: true,
    null_sender: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    postmaster: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    open_relay: ['250 2.1.0 Ok', '554 5.7.1 <postmaster@example.com>: Relay access denied'],
  },
  // swaks (OpenSSL at Debian's level 2, but verifying nothing) negotiates with the weak certificate as the checker does.
  weak_certificate: {
    tls: 'started',
    authBeforeTls: false,
    null_sender: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    postmaster: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    open_relay: ['250 2.1.0 Ok', '554 5.7.1 <postmaster@example.com>: Relay access denied'],
  },
  null_sender_refused: {
    tls: 'started',
    authBeforeTls: false,
    // smtpd_delay_reject (default yes): the sender restriction answers at RCPT.
    null_sender: ['250 2.1.0 Ok', '550 5.7.1 <>: Sender address rejected: Null sender refused'],
    postmaster: ['250 2.1.0 Ok', '250 2.1.5 Ok'],
    open_relay: ['250 2.1.0 Ok', '554 5.7.1 <postmaster@example.com>: Relay access denied'],
  },
  postmaster_refused: {
    tls: 'started',
    authBeforeTls: false,
    null_sender: [
      '250 2.1.0 Ok',
      '554 5.7.1 <postmaster@postfix-postmaster-refused.test>: Recipient address rejected: Postmaster does not take mail here',
    ],
    postmaster: [
      '250 2.1.0 Ok',
      '554 5.7.1 <postmaster@postfix-postmaster-refused.test>: Recipient address rejected: Postmaster does not take mail here',
    ],
    open_relay: ['250 2.1.0 Ok', '554 5.7.1 <postmaster@example.com>: Relay access denied'],
  },
  greylisting: {
    tls: 'started',
    authBeforeTls: false,
    null_sender: [
      '250 2.1.0 Ok',
      '450 4.2.0 <postmaster@postfix-greylisting.test>: Recipient address rejected: Greylisted, try again later',
    ],
    postmaster: [
      '250 2.1.0 Ok',
      '450 4.2.0 <postmaster@postfix-greylisting.test>: Recipient address rejected: Greylisted, try again later',
    ],
    open_relay: ['250 2.1.0 Ok', '554 5.7.1 <postmaster@example.com>: Relay access denied'],
  },
};

const POLICIES = Object.keys(EXPECTED) as MtaPolicy[];

/** The mechanisms Postfix offers through Debian 12's libsasl2-modules with "smtpd_sasl_security_options = noanonymous, noplaintext". */
const CYRUS_WITHOUT_PLAINTEXT = [
  'SCRAM-SHA-512',
  'SCRAM-SHA-384',
  'SCRAM-SHA-256',
  'SCRAM-SHA-224',
  'SCRAM-SHA-1',
  'DIGEST-MD5',
  'CRAM-MD5',
  'NTLM',
];

/**
 * Postfix logs the commands of each session at disconnect: the proof that
 * DATA never came. postlogd writes a moment after the session ends, so wait
 * for the line.
 */
async function assertNoDataInLog(logFile: string, sessions = 1): Promise<void> {
  const disconnects = await logLines(logFile, /postfix\/smtpd\[\d+\]: disconnect from /, sessions);
  for (const line of disconnects) assert.doesNotMatch(line, /\bdata=/, `no DATA in "${line}"`);
}

/** The log lines matching `pattern`, once there are at least `count` of them. */
async function logLines(logFile: string, pattern: RegExp, count = 1): Promise<string[]> {
  let lines: string[] = [];
  await waitFor(
    `${count} log line(s) matching ${pattern} in ${logFile}`,
    () => {
      lines = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => pattern.test(l));
      return lines.length >= count;
    },
    LOG_WAIT_MS,
  );
  return lines;
}

/** How long postlogd may lag behind the session on a loaded machine. */
const LOG_WAIT_MS = 10_000;

/** What postscreen itself answers at RCPT while its deep protocol tests run (swaks' first session saw it too). */
const POSTSCREEN_DEFER = ['250 2.1.0 Ok', '450 4.3.2 Service currently unavailable'] as const;
/** Log lines postscreen writes when a client fails a test: none may concern the checker. */
const POSTSCREEN_VIOLATIONS =
  /PREGREET|COMMAND PIPELINING|NON-SMTP COMMAND|BARE NEWLINE|COMMAND TIME LIMIT|COMMAND COUNT LIMIT|HANGUP|DENYLISTED|BLACKLISTED/;
/** Margin under postscreen's greet wait for timer granularity. */
const GREET_WAIT_MARGIN_MS = 300;

/** The first session's findings: postscreen's own 450 for every RCPT (issue 5: temporary, never rejected nor relaying). */
function postscreenFirstFindings(policy: MtaPolicy, s: string, d: string): string[] {
  const tempfails = [
    `WARN smtp.null_sender.tempfail ${s}`,
    `WARN smtp.postmaster.tempfail ${s}`,
    `UNKNOWN smtp.open_relay.tempfail ${s}`,
  ];
  // postscreen's own EHLO offers neither PIPELINING nor AUTH, whatever smtpd does.
  const rest = [`INFO smtp.ext.missing ${s}`, `INFO smtp.ipv6.none ${d}`];
  if (policy === 'no_starttls') {
    return [
      `CRIT smtp.starttls.missing ${s}`,
      `CRIT smtp.all_no_starttls ${d}`,
      `UNKNOWN smtp.starttls.handshake_untested ${d}`,
      ...tempfails,
      ...rest,
      `UNKNOWN smtp.tls.untested ${d}`,
    ];
  }
  // postscreen hands STARTTLS to tlsproxy, which serves smtpd's certificate.
  if (policy === 'weak_certificate') return [...tempfails, ...rest, ...EXPECTED.weak_certificate(s, d).slice(1)];
  return [...tempfails, ...rest];
}

/** Replies that quote the domain name: postscreen's runs use `postscreen-<policy>.test`. */
function renamed(policy: MtaPolicy): Partial<SwaksView> {
  const view = SWAKS[policy];
  const fix = (pair: [string | null, string | null]): [string | null, string | null] =>
    pair.map((line) => line?.replace(/postfix-/g, 'postscreen-') ?? null) as [string | null, string | null];
  return { null_sender: fix(view.null_sender), postmaster: fix(view.postmaster), open_relay: fix(view.open_relay) };
}

suiteNeeding('Postfix interop', interopDecision([POSTFIX, POSTFIX_POSTSCREEN]), () => {
  const dns = interopDns();

  describe('Postfix', () => {
    for (const policy of POLICIES) {
      test(`postfix ${policy}: the findings and the replies swaks shows`, async () => {
        await withMta(dns(), POSTFIX, policy, async ({ states, observation, subject, setup, mta }) => {
          assert.deepEqual(findings(states), EXPECTED[policy](subject, setup.domain));
          const ep = observation.endpoints[0]!;
          assert.deepEqual(swaksViewOf(ep), SWAKS[policy]);
          assertPoliteDialogue(ep);
          // Postfix advertises PIPELINING: one flight for the transactions.
          assert.equal(ep.pipelined, true);
          if (policy === 'auth_challenge_before_tls') {
            // What Debian's Cyrus modules offer once noplaintext drops PLAIN and LOGIN: challenge-response only.
            assert.deepEqual(ep.extensions?.auth, CYRUS_WITHOUT_PLAINTEXT);
          }
          if (policy === 'weak_certificate') assertWeakChainRecorded(ep);
          await assertNoDataInLog(mta.logFile);
        });
      });
    }
  });
  describe('Postfix behind postscreen (greet pause, multi-line pregreet banner, deep protocol tests enforced)', () => {
    for (const policy of POLICIES) {
      test(`postscreen ${policy}: passes every test, then the same verdicts as Postfix alone`, async () => {
        await withMta(
          dns(),
          POSTFIX_POSTSCREEN,
          policy,
          async ({ states, observation, subject, setup, mta, checkAgain }) => {
            const first = observation.endpoints[0]!;
            if (policy === 'open_relay') {
              // The checker's address is in mynetworks: postscreen_access_list (permit_mynetworks) waves it through.
              await logLines(mta.logFile, /(ALLOWLISTED|WHITELISTED) \[127\.0\.0\.1\]/);
              assert.deepEqual(findings(states), EXPECTED.open_relay(subject, setup.domain));
              assert.deepEqual(swaksViewOf(first), SWAKS.open_relay);
              assertPoliteDialogue(first);
              return;
            }
            // The pregreet "220-" line, then the final "220 " after the wait: all of it was awaited before EHLO.
            assert.equal(first.greeting?.lines.length, 2);
            assert.match(first.greeting!.lines[0]!, /^220-/);
            assert.ok(
              first.timings.greeting_ms! >= POSTSCREEN_GREET_WAIT_S * 1000 - GREET_WAIT_MARGIN_MS,
              `greeting took ${first.timings.greeting_ms} ms`,
            );
            assertPoliteDialogue(first);
            assert.equal(first.pipelined, false, 'postscreen does not advertise PIPELINING: one command at a time');
            assert.deepEqual(findings(states), postscreenFirstFindings(policy, subject, setup.domain));
            for (const kind of ['null_sender', 'postmaster', 'open_relay'] as const) {
              assert.deepEqual(swaksViewOf(first)[kind], [...POSTSCREEN_DEFER]);
            }
            await logLines(mta.logFile, /PASS NEW \[127\.0\.0\.1\]/);

            // The next session goes through to smtpd: the same verdicts as without postscreen.
            const second = await checkAgain();
            await logLines(mta.logFile, /PASS OLD \[127\.0\.0\.1\]/);
            assert.deepEqual(findings(second.states), EXPECTED[policy](subject, setup.domain));
            assertPoliteDialogue(second.observation.endpoints[0]!);
            assert.deepEqual(swaksViewOf(second.observation.endpoints[0]!), { ...SWAKS[policy], ...renamed(policy) });
            await assertNoDataInLog(mta.logFile);
            assert.doesNotMatch(readFileSync(mta.logFile, 'utf8'), POSTSCREEN_VIOLATIONS);
          },
        );
      });
    }
  });
});
