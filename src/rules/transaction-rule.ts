/**
 * Shared by the three transaction rules (null sender, postmaster, open
 * relay): which transaction an endpoint ran, whether it got to run, and the
 * state for a probe switched off by its option.
 */
import type { EndpointProbe, Observation, Reply, Transaction, TransactionKind } from '../model/observation.js';
import { Status, type CheckState, type StatusValue } from '../model/status.js';
import { blockedBefore, dialogueStop, finding, is2xx, quoteReply } from './rule.js';

export function transactionOf(e: EndpointProbe, kind: TransactionKind): Transaction | null {
  return e.transactions.find((t) => t.kind === kind) ?? null;
}

/**
 * Null when the transaction got far enough to judge: an answer, or the
 * dialogue breaking inside it (see brokenTransaction). A transaction that
 * never ran is not this rule's finding: an upstream failure kept it back.
 */
export function transactionBlocked(e: EndpointProbe, kind: TransactionKind): string | null {
  const upstream = blockedBefore(e, 'session');
  if (upstream) return upstream;
  const t = transactionOf(e, kind);
  if (!t) return 'not run';
  if (t.outcome === 'skipped') return t.note ?? dialogueStop(e) ?? 'not run';
  return null;
}

/**
 * The finding for a transaction the server broke: no reply to MAIL or RCPT
 * (silence until the budget ran out, a close, a reset, a malformed line) or
 * a reply no SMTP server gives there. Named on the endpoint, so a server
 * that hangs at RCPT shows even when the other endpoints answered. Null when
 * the transaction did not break.
 */
export function brokenTransaction(
  rule: string,
  code: string,
  status: StatusValue,
  e: EndpointProbe,
  kind: TransactionKind,
): CheckState | null {
  const t = transactionOf(e, kind);
  if (t?.outcome !== 'error') return null;
  const command = t.mail && is2xx(t.mail) ? `RCPT TO:<${t.rcpt_to}>` : `MAIL FROM:<${t.mail_from}>`;
  const reply = t.decided_at ? decidingReply(t) : null;
  const what = reply
    ? `answered ${command} with ${quoteReply(reply)}, which is not an SMTP answer to it`
    : `gave no usable answer to ${command}${e.error ? `: ${e.error.message}` : ''}`;
  return finding(rule, {
    status,
    code,
    subject: e.subject,
    message: `${e.subject} ${what}; the ${kind.replace('_', ' ')} probe could not finish.`,
    fix: 'A sender stuck at this step defers the mail. Check the MTA log for this session: a crash or a slow policy check (Postfix smtpd_recipient_restrictions lookups, a milter, Exim ACL callouts) often stalls MAIL or RCPT.',
    meta: { mx: e.mx, address: e.address, ...replyMeta(t), error: e.error },
  });
}

/** The reply that decided the transaction. */
export function decidingReply(t: Transaction): Reply | null {
  return t.decided_at === 'mail' ? t.mail : t.decided_at === 'rcpt' ? t.rcpt : (t.rcpt ?? t.mail);
}

export function replyMeta(t: Transaction): Record<string, unknown> {
  return {
    mail_from: t.mail_from,
    rcpt_to: t.rcpt_to,
    decided_at: t.decided_at,
    reply: decidingReply(t)?.lines ?? null,
    ...(t.note ? { note: t.note } : {}),
  };
}

/** The single INFO state of a probe its option switched off. */
export function switchedOff(rule: string, code: string, option: keyof Observation['options'], what: string) {
  return (obs: Observation): CheckState[] | null =>
    obs.options[option] === false
      ? [
          finding(rule, {
            status: Status.INFO,
            code,
            subject: obs.domain,
            message: `The ${what} probe was switched off by option ${option}; nothing was tested.`,
          }),
        ]
      : null;
}
