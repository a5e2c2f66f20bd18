/**
 * Shared by the three transaction rules (null sender, postmaster, open
 * relay): which transaction an endpoint ran, whether it got to run, and the
 * state for a probe switched off by its option.
 */
import type { EndpointProbe, Observation, Reply, Transaction, TransactionKind } from '../model/observation.js';
import { Status, type CheckState, type StatusValue } from '../model/status.js';
import { aimedAtChecker, classifyRefusal, type RefusalClass, type RefusalTarget } from '../model/refusal.js';
import { blockedBefore, dialogueStop, finding, is2xx, plural, quoteReply } from './rule.js';

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
  if (!reply && e.error?.code === 'timeout' && errorSleepLikely(e)) return heldBack(rule, code, e, t);
  const waiting =
    e.outstanding.length > 0
      ? ` (${plural(e.outstanding.length, 'reply', 'replies')} outstanding: ${e.outstanding.join(', ')})`
      : '';
  const what = reply
    ? `answered ${command} with ${quoteReply(reply)}, which is not an SMTP answer to it`
    : `gave no usable answer to ${command}${e.error ? `: ${e.error.message}` : ''}${waiting}`;
  return finding(rule, {
    status,
    code,
    subject: e.subject,
    message: `${e.subject} ${what}; the ${kind.replace('_', ' ')} probe could not finish.`,
    fix: 'A sender stuck at this step defers the mail. Check the MTA log for this session: a crash or a slow policy check (Postfix smtpd_recipient_restrictions lookups, a milter, Exim ACL callouts) often stalls MAIL or RCPT.',
    meta: { mx: e.mx, address: e.address, ...replyMeta(t), error: e.error },
  });
}

/**
 * Replies held back in a pipelined group after something the server counts
 * as an error: a refusal that came back, or the relay probe's RCPT among the
 * commands still waiting (its refusal is the error, and its own reply the
 * first one delayed).
 */
function errorSleepLikely(e: EndpointProbe): boolean {
  if (!e.pipelined || e.outstanding.length === 0) return false;
  const relay = transactionOf(e, 'open_relay');
  return (
    e.transactions.some((t) => t.outcome === 'rejected' || t.outcome === 'tempfail') ||
    (relay !== null && e.outstanding.includes(`RCPT TO:<${relay.rcpt_to}>`))
  );
}

/**
 * The server held back its replies to a pipelined group until the budget ran
 * out. Servers slow every reply after an error on purpose (Postfix
 * smtpd_error_sleep_time past smtpd_soft_error_limit, tarpits), and the
 * relay probe's refusal is an error to them: which probe has no answer says
 * little about the server, so the finding names the group and says so.
 */
function heldBack(rule: string, code: string, e: EndpointProbe, t: Transaction): CheckState {
  const waiting = e.outstanding.join(', ');
  return finding(rule, {
    status: Status.UNKNOWN,
    code,
    subject: e.subject,
    message: `${e.subject} held back its replies to the pipelined commands until the time budget ran out (${plural(e.outstanding.length, 'reply', 'replies')} outstanding: ${waiting}), so the ${t.kind.replace('_', ' ')} probe got no answer. Servers delay every reply after an error (Postfix smtpd_error_sleep_time), and a refused relay probe counts as one.`,
    fix: 'Run again with a longer --timeout to see the answers. If real senders meet the delay, lower the error sleep (Postfix smtpd_error_sleep_time, smtpd_soft_error_limit) or exempt refusals of relaying from it.',
    meta: { mx: e.mx, address: e.address, ...replyMeta(t), outstanding: e.outstanding, error: e.error },
  });
}

/** How to fix, on the checker's side, a refusal aimed at the checker. */
const CHECKER_FIX: Partial<Record<RefusalTarget, string>> = {
  client:
    "Run the check from a host whose address has forward-confirmed reverse DNS (a PTR naming a host that resolves back to the address) and is on no blocklist: the server refused the checker's address, as it would any client without it.",
  helo: "Run with --helo (option helo_name) set to the checker host's fully-qualified name: one that resolves to its address and matches its PTR.",
  sender:
    'Run with --mail-from (option test_mail_from) set to an address whose domain resolves (MX or A records) and, for servers that verify senders by callout, a mailbox that exists.',
  rate: "Run the check again later. Per-client limits (Postfix smtpd_client_message_rate_limit, Exim ratelimit ACLs) count every transaction, the checker's own included.",
  tls_required: 'STARTTLS did not come up, so the transaction could not run where the server wants it.',
};

/** What a refusal aimed at the checker is about, in words. */
const CHECKER_TARGET: Partial<Record<RefusalTarget, string>> = {
  client: "the checker's address (its reverse DNS or reputation)",
  helo: "the checker's HELO name",
  sender: "the checker's sender address",
  rate: 'how much the checker (or this address) sent',
  tls_required: 'a transaction in plaintext',
};

/** Why the refusal was classified so: the enhanced code or the words. */
function because(c: RefusalClass): string {
  if (c.basis === 'enhanced')
    return ` (status ${c.evidence}${c.evidence?.endsWith('.7.25') ? ': reverse DNS of the client, RFC 7372' : ''})`;
  if (c.basis === 'text' && c.evidence) return ` ("${c.evidence}")`;
  return '';
}

/**
 * The finding for a refusal aimed at the checker rather than at the mail
 * (see model/refusal.ts): UNKNOWN, because `question` was not answered, with
 * what the server refused and the fix on the checker's side. Null when the
 * refusal is about the mail itself. `senderCounts`: a refusal of the sender
 * counts as aimed at the checker (false for MAIL FROM:<>, whose refusal is
 * the null-sender finding itself).
 */
export function checkerRefusal(
  rule: string,
  code: string,
  e: EndpointProbe,
  t: Transaction,
  question: string,
  { senderCounts = true } = {},
): CheckState | null {
  const reply = decidingReply(t);
  if (!reply || (t.outcome !== 'rejected' && t.outcome !== 'tempfail')) return null;
  const c = classifyRefusal(reply);
  if (!aimedAtChecker(c.target) || (c.target === 'sender' && !senderCounts)) return null;
  const command = t.decided_at === 'mail' ? `MAIL FROM:<${t.mail_from}>` : `RCPT TO:<${t.rcpt_to}>`;
  const earlier =
    c.target === 'rate' && t.sequence > 1
      ? ` The checker's own ${plural(t.sequence - 1, 'earlier transaction')} on this connection may have used the allowance.`
      : '';
  return finding(rule, {
    status: Status.UNKNOWN,
    code,
    subject: e.subject,
    message: `${e.subject} answered ${command} with ${quoteReply(reply)}: a refusal of ${CHECKER_TARGET[c.target] ?? 'the checker'}${because(c)}, not an answer about the mail, so ${question} could not be told.${earlier}`,
    fix: CHECKER_FIX[c.target] ?? '',
    meta: { mx: e.mx, address: e.address, ...replyMeta(t), refused: c.target, basis: c.basis },
  });
}

/**
 * " It may also be a per-client limit that the checker's earlier
 * transactions on this connection used up." for a temporary refusal that
 * came after other transactions, empty otherwise: a tempfail the checker
 * may have caused must say so.
 */
export function maybeSelfInflicted(t: Transaction): string {
  if (t.outcome !== 'tempfail' || t.sequence <= 1) return '';
  return ` It may also be a per-client limit (Postfix smtpd_client_message_rate_limit) that the checker's ${plural(t.sequence - 1, 'earlier transaction')} on this connection used up.`;
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
