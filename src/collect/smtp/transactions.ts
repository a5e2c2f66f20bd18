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

/**
 * Postmaster and relay probes use a sender at the EHLO name: outside the
 * tested domain (a spoofed local sender would test anti-spoofing instead),
 * and a name the operator of this checker answers for.
 */
export function planTransactions(options: CheckOptions): PlannedTransaction[] {
  const postmaster = `postmaster@${options.domain}`;
  const sender = `postmaster@${options.helo_name}`;
  return [
    {
      kind: 'null_sender',
      run: options.test_null_sender,
      skipNote: 'switched off by option test_null_sender',
      mailFrom: '',
      rcptTo: postmaster,
    },
    {
      kind: 'postmaster',
      run: options.test_postmaster,
      skipNote: 'switched off by option test_postmaster',
      mailFrom: sender,
      rcptTo: postmaster,
    },
    {
      kind: 'open_relay',
      run: options.test_open_relay,
      skipNote: 'switched off by option test_open_relay',
      mailFrom: sender,
      rcptTo: options.test_probe_address,
    },
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
  };
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
): Transaction {
  const base = { kind: p.kind, mail_from: p.mailFrom, rcpt_to: p.rcptTo, mail, rcpt, rset: reset };
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
