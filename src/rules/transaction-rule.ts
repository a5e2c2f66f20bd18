/**
 * Shared by the three transaction rules (null sender, postmaster, open
 * relay): which transaction an endpoint ran, whether it got to run, and the
 * state for a probe switched off by its option.
 */
import type { EndpointProbe, Observation, Reply, Transaction, TransactionKind } from '../observation.js';
import { Status, type CheckState } from '../status.js';
import { blockedBefore, dialogueStop, finding } from './rule.js';

export function transactionOf(e: EndpointProbe, kind: TransactionKind): Transaction | null {
  return e.transactions.find((t) => t.kind === kind) ?? null;
}

/**
 * Null when the transaction produced an answer to judge. A transaction that
 * never ran or broke mid-way is not this rule's finding: an upstream failure
 * (or the dialogue breaking) kept it from an answer.
 */
export function transactionBlocked(e: EndpointProbe, kind: TransactionKind): string | null {
  const upstream = blockedBefore(e, 'session');
  if (upstream) return upstream;
  const t = transactionOf(e, kind);
  if (!t) return 'not run';
  if (t.outcome === 'skipped' || t.outcome === 'error') return t.note ?? dialogueStop(e) ?? 'not run';
  return null;
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
