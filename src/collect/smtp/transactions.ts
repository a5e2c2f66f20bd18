/**
 * The three probe transactions (null sender, postmaster, open relay): what
 * each sends, and how its replies settle into an outcome. Every transaction
 * stops at RCPT and is reset (by RSET, or by QUIT for the last one when not
 * pipelined: QUIT aborts a transaction, RFC 5321 §4.1.1.10); DATA is never sent.
 */
import type { Reply, Transaction, TransactionKind } from '../../model/observation.js';
import type { CheckOptions } from '../../config/options.js';

export interface PlannedTransaction {
  kind: TransactionKind;
  run: boolean;
  /** Why it does not run, when it does not. */
  skipNote: string;
  /** Reverse-path ("" is the null sender) and forward-path, as addr-specs. */
  mailFrom: string;
  rcptTo: string;
}

/** The option that switches each probe on or off (SPEC.md options; the CLI's --no-* flags set them). */
export const PROBE_OPTIONS = {
  null_sender: 'test_null_sender',
  postmaster: 'test_postmaster',
  open_relay: 'test_open_relay',
} as const satisfies Record<TransactionKind, keyof CheckOptions>;

const PROBES = Object.keys(PROBE_OPTIONS) as TransactionKind[];

function isProbe(value: unknown): value is TransactionKind {
  return typeof value === 'string' && Object.hasOwn(PROBE_OPTIONS, value);
}

/**
 * `options` with the probes of `skip` switched off, as if their options had
 * said false: the observation then records why they were not sent. Throws a
 * RangeError for a value that names no probe, before anything is sent.
 */
export function withProbesSkipped(options: CheckOptions, skip: readonly TransactionKind[] = []): CheckOptions {
  const out = { ...options };
  for (const probe of skip as readonly unknown[]) {
    if (!isProbe(probe))
      throw new RangeError(
        `Unknown probe ${JSON.stringify(probe)} in skipProbes: expected one of ${PROBES.join(', ')}.`,
      );
    out[PROBE_OPTIONS[probe]] = false;
  }
  return out;
}

/**
 * The three probes. Postmaster and relay probes use `test_mail_from`, by
 * default postmaster@ the EHLO name: outside the tested domain (a spoofed
 * local sender would test anti-spoofing instead), a name the operator of
 * this checker answers for, and one a sender-verifying server can resolve
 * when the EHLO name is set up as it should be.
 *
 * Fewest MAIL transactions (per-client message rate limits count them): the
 * null-sender transaction goes to postmaster@domain, so when it is accepted
 * it answers the postmaster question too, and the postmaster probe is sent
 * only when it is not (see postmasterAnswered).
 */
export function planTransactions(options: CheckOptions): PlannedTransaction[] {
  const postmaster = `postmaster@${options.domain}`;
  const sender = options.test_mail_from;
  const plan = (kind: TransactionKind, mailFrom: string, rcptTo: string): PlannedTransaction => ({
    kind,
    run: options[PROBE_OPTIONS[kind]],
    skipNote: `switched off by option ${PROBE_OPTIONS[kind]}`,
    mailFrom,
    rcptTo,
  });
  return [
    plan('null_sender', '', postmaster),
    plan('postmaster', sender, postmaster),
    plan('open_relay', sender, options.test_probe_address),
  ];
}

export function skippedTransaction(p: PlannedTransaction, note: string): Transaction {
  return {
    kind: p.kind,
    mail_from: p.mailFrom,
    rcpt_to: p.rcptTo,
    mail: null,
    rcpt: null,
    rset: null,
    outcome: 'skipped',
    decided_at: null,
    note,
    tls: false,
    sequence: 0,
    answered_by: null,
  };
}

/**
 * The postmaster probe's answer when the null-sender transaction already gave
 * it: MAIL FROM:<> then RCPT TO:<postmaster@domain> accepted means postmaster
 * takes mail (from anyone, bounces included). Null when that transaction
 * does not answer it (not run, or refused: then only a transaction with a
 * normal sender tells whether the refusal is about the recipient).
 */
export function postmasterAnswered(nullSender: Transaction | undefined, p: PlannedTransaction): Transaction | null {
  if (!nullSender || nullSender.outcome !== 'accepted' || nullSender.rcpt_to !== p.rcptTo) return null;
  return {
    ...nullSender,
    kind: p.kind,
    note: `answered by the null-sender transaction: RCPT TO:<${p.rcptTo}> was accepted`,
    answered_by: nullSender.kind,
  };
}

/** Where a transaction ran: inside TLS or not, and its place among the connection's MAIL transactions. */
export interface TransactionContext {
  tls: boolean;
  sequence: number;
}

function classOf(r: Reply): 'accepted' | 'tempfail' | 'rejected' | null {
  if (r.code >= 200 && r.code < 300) return 'accepted';
  if (r.code >= 400 && r.code < 500) return 'tempfail';
  if (r.code >= 500) return 'rejected';
  return null;
}

/**
 * Settle a transaction from its replies. A refusal at MAIL decides it (a
 * pipelined RCPT then only gets 503); otherwise RCPT decides. A missing or
 * out-of-place reply means the dialogue broke: outcome "error".
 */
export function settleTransaction(
  p: PlannedTransaction,
  mail: Reply | null,
  rcpt: Reply | null,
  reset: Reply | null,
  where: TransactionContext,
): Transaction {
  const base = {
    kind: p.kind,
    mail_from: p.mailFrom,
    rcpt_to: p.rcptTo,
    mail,
    rcpt,
    rset: reset,
    tls: where.tls,
    sequence: where.sequence,
    answered_by: null,
  };
  if (!mail) return { ...base, outcome: 'error', decided_at: null, note: 'no answer to MAIL FROM' };
  const atMail = classOf(mail);
  if (atMail === null)
    return { ...base, outcome: 'error', decided_at: 'mail', note: `unexpected reply ${mail.code} to MAIL FROM` };
  if (atMail !== 'accepted') return { ...base, outcome: atMail, decided_at: 'mail', note: null };
  if (!rcpt) return { ...base, outcome: 'error', decided_at: null, note: 'no answer to RCPT TO' };
  const atRcpt = classOf(rcpt);
  if (atRcpt === null)
    return { ...base, outcome: 'error', decided_at: 'rcpt', note: `unexpected reply ${rcpt.code} to RCPT TO` };
  return { ...base, outcome: atRcpt, decided_at: 'rcpt', note: null };
}
