/**
 * What swaks shows by hand for every MTA and policy of the interop suite: the
 * justification of each test's expected result. Not a test; run it after
 * changing an MTA configuration and compare with the SWAKS tables in the
 * *.test.ts files beside it:
 *
 *   node --import tsx test/interop/swaks-compare.ts [postfix|postscreen|exim|opensmtpd ...] [POLICY ...]
 *
 * For each policy it starts the MTA exactly as the tests do and runs, like an
 * operator would:
 *   swaks --server HOST:PORT --ehlo mx-checker.happydomain.org --tls-optional \
 *         --quit-after RCPT --from FROM --to TO
 * for the checker's three transactions (null sender → postmaster@domain,
 * postmaster@mx-checker.happydomain.org → postmaster@domain and → the outside
 * postmaster@example.com), and prints the replies to MAIL and RCPT, whether
 * TLS started and whether AUTH was offered before TLS. Where the TLS
 * handshake failed, the three are run again without TLS, as senders fall
 * back (and the checker does): those replies are the ones shown.
 */
import { execFileSync } from 'node:child_process';
import { startDnsServer } from '../peers/dns-server.js';
import { DEFAULT_HELO_NAME } from '../../src/config/options.js';
import { OUTSIDE_RECIPIENT, type MtaPolicy } from './mta-instance.js';
import { EXIM, OPENSMTPD, POSTFIX, POSTFIX_POSTSCREEN, SWAKS_HOSTS, type InteropMta } from './interop-mtas.js';
import { publishSetup, type SwaksView } from './interop-check.js';
import { requireBinary } from './mta-process.js';

export const POLICIES: MtaPolicy[] = [
  'healthy',
  'open_relay',
  'no_starttls',
  'auth_before_tls',
  'auth_challenge_before_tls',
  'weak_certificate',
  'null_sender_refused',
  'postmaster_refused',
  'greylisting',
];

const SERVER_LINE = /^<(-|~|\*\*|~\*) +/;

interface SwaksRun {
  tls: SwaksView['tls'];
  authBeforeTls: boolean;
  mail: string | null;
  rcpt: string | null;
}

/**
 * One swaks session stopped after RCPT. swaks marks server lines `<-` (`<~`
 * inside TLS) and errors `<**` (`<~*`); TLS failures go to stderr, so both
 * streams are read in order.
 */
function swaks(host: string, port: number, from: string, to: string, withTls = true): SwaksRun {
  let out: string;
  try {
    out = execFileSync(
      'sh',
      [
        '-c',
        'exec swaks "$@" 2>&1',
        'swaks',
        '--server',
        `${host}:${port}`,
        '--ehlo',
        DEFAULT_HELO_NAME,
        ...(withTls ? ['--tls-optional'] : []),
        '--quit-after',
        'RCPT',
        '--timeout',
        '20',
        '--from',
        from || '<>',
        '--to',
        to,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (err) {
    // swaks exits non-zero on a refusal; its transcript is still on stdout.
    out = String((err as { stdout?: string }).stdout ?? '');
  }
  const lines = out.split('\n');
  const answerTo = (command: string): string | null => {
    const at = lines.findIndex((l) => /^ [-~]> /.test(l) && l.slice(4).startsWith(command));
    const reply = at >= 0 ? lines.slice(at + 1).find((l) => SERVER_LINE.test(l)) : undefined;
    return reply ? reply.replace(SERVER_LINE, '') : null;
  };
  const tls = lines.some((l) => l.startsWith('=== TLS started'))
    ? 'started'
    : lines.some((l) => l.startsWith('*** TLS startup failed'))
      ? 'failed'
      : 'none';
  return {
    tls,
    authBeforeTls: lines.some((l) => /^<- {2}250[- ]AUTH\b/.test(l)),
    mail: answerTo('MAIL FROM:'),
    rcpt: answerTo('RCPT TO:'),
  };
}

async function main(): Promise<void> {
  requireBinary('/usr/bin/swaks', 'swaks');
  const all: Record<string, InteropMta> = {
    postfix: POSTFIX,
    postscreen: POSTFIX_POSTSCREEN,
    exim: EXIM,
    opensmtpd: OPENSMTPD,
  };
  const args = process.argv.slice(2);
  const chosen = args.filter((a) => a in all);
  const names = chosen.length > 0 ? chosen : Object.keys(all);
  const only = POLICIES.filter((p) => args.includes(p));
  const policies = only.length > 0 ? only : POLICIES;
  const dns = await startDnsServer([]);
  try {
    for (const name of names) {
      const mta = { ...all[name]!, host: SWAKS_HOSTS[name]! };
      const table: Record<string, unknown> = {};
      for (const policy of policies) {
        const setup = publishSetup(dns, mta, policy);
        const instance = await mta.start(setup);
        try {
          const sender = `postmaster@${DEFAULT_HELO_NAME}`;
          const postmaster = `postmaster@${setup.domain}`;
          // Postscreen's first session is its own dummy engine; the next ones reach smtpd: run the set twice.
          const rounds = name === 'postscreen' ? 2 : 1;
          const runs: SwaksView[] = [];
          for (let round = 0; round < rounds; round++) {
            let nullSender = swaks(setup.host, instance.port, '', postmaster);
            const tlsFailed = nullSender.tls === 'failed';
            if (tlsFailed) nullSender = { ...swaks(setup.host, instance.port, '', postmaster, false), tls: 'failed' };
            const pm = swaks(setup.host, instance.port, sender, postmaster, !tlsFailed);
            const relay = swaks(setup.host, instance.port, sender, OUTSIDE_RECIPIENT, !tlsFailed);
            const view: SwaksView = {
              tls: nullSender.tls,
              authBeforeTls: nullSender.authBeforeTls,
              null_sender: [nullSender.mail, nullSender.rcpt],
              postmaster: [pm.mail, pm.rcpt],
              open_relay: [relay.mail, relay.rcpt],
            };
            runs.push(view);
          }
          table[policy] = rounds === 1 ? runs[0] : runs;
        } finally {
          await instance.stop();
        }
      }
      process.stdout.write(`// ${name}\n${JSON.stringify(table, null, 2)}\n`);
    }
  } finally {
    await dns.close();
  }
}

await main();
