import type { EndpointProbe, Transaction } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { allEndpoints, endpointRule, finding, quoteReply, untestedSuffix, type Partition } from './rule.js';
import {
  brokenTransaction,
  checkerRefusal,
  decidingReply,
  maybeSelfInflicted,
  replyMeta,
  switchedOff,
  transactionBlocked,
  transactionOf,
} from './transaction-rule.js';

const NAME = 'smtp.null_sender';

const FIX_NULL_SENDER =
  'Accept the null reverse-path (RFC 5321 §4.5.5): bounces and delivery notifications use MAIL FROM:<>. Look for sender checks that refuse it: Postfix smtpd_sender_restrictions / check_sender_access entries matching "<>" or reject_unverified_sender, Exim acl_smtp_mail rules on $sender_address.';

/**
 * RCPT refused after MAIL FROM:<> was accepted, and the same recipient refused
 * for a normal sender too: the refusal is about the recipient, not the null sender.
 */
function recipientRefused(e: EndpointProbe): boolean {
  const t = transactionOf(e, 'null_sender');
  const pm = transactionOf(e, 'postmaster');
  return (
    t?.outcome === 'rejected' &&
    t.decided_at === 'rcpt' &&
    pm?.outcome === 'rejected' &&
    pm.decided_at === 'rcpt' &&
    !aimedAtTheChecker(e, t)
  );
}

/** The null-sender transaction was refused for who the checker is (its address, name, rate), not for <>. */
function aimedAtTheChecker(e: EndpointProbe, t: Transaction): boolean {
  return checkerRefusal(NAME, '', e, t, '', { senderCounts: false }) !== null;
}

function judge(e: EndpointProbe): CheckState | null {
  const broken = brokenTransaction(NAME, 'smtp.null_sender.no_answer', Status.WARN, e, 'null_sender');
  if (broken) return broken;
  const t = transactionOf(e, 'null_sender')!;
  const reply = decidingReply(t);
  const quoted = reply ? quoteReply(reply) : 'no reply';
  const meta = { mx: e.mx, address: e.address, ...replyMeta(t) };
  if (t.outcome === 'accepted') return null;
  const aimed = checkerRefusal(NAME, 'smtp.null_sender.checker_refused', e, t, 'whether the null sender is accepted', {
    senderCounts: false,
  });
  if (aimed) return aimed;
  if (recipientRefused(e)) return null;
  if (t.outcome === 'tempfail') {
    return finding(NAME, {
      status: Status.WARN,
      code: 'smtp.null_sender.tempfail',
      subject: e.subject,
      message: `${e.subject} answered the null sender with a temporary refusal ${quoted} at ${t.decided_at === 'mail' ? 'MAIL FROM:<>' : `RCPT TO:<${t.rcpt_to}>`} (greylisting or a rate limit?); bounces to it will be delayed.${maybeSelfInflicted(t)}`,
      fix: 'If it persists, exempt the null sender from greylisting and rate limits (e.g. postgrey or Postfix policy services, Exim ratelimit ACLs).',
      meta,
    });
  }
  const where =
    t.decided_at === 'mail'
      ? `refused MAIL FROM:<> with ${quoted}`
      : `accepted MAIL FROM:<> but refused RCPT TO:<${t.rcpt_to}> with ${quoted} for the null sender`;
  return finding(NAME, {
    status: Status.CRIT,
    code: 'smtp.null_sender.rejected',
    subject: e.subject,
    message: `${e.subject} ${where}: bounces and delivery notifications to ${t.rcpt_to.split('@')[1] ?? 'the domain'} are lost (RFC 5321 §4.5.5 requires accepting them).`,
    fix: FIX_NULL_SENDER,
    meta,
  });
}

function okMessage(p: Partition): string {
  const recipient = p.judged.filter(recipientRefused).map((e) => e.subject);
  const note =
    recipient.length > 0
      ? ` (${recipient.join(', ')} accepted MAIL FROM:<> but refused the recipient for any sender, so the refusal concerns the recipient: see smtp.postmaster)`
      : '';
  return `${allEndpoints(p.judged, 'accepts', 'accept')} the null sender MAIL FROM:<>${note}${untestedSuffix(p)}.`;
}

export const nullSender = endpointRule({
  name: NAME,
  description: 'Endpoints accept the null sender MAIL FROM:<> that bounces use (RFC 5321 §4.5.5).',
  probes: ['null_sender'],
  untestedCode: 'smtp.null_sender.untested',
  what: 'the null sender',
  precheck: switchedOff(NAME, 'smtp.null_sender.skipped', 'test_null_sender', 'null-sender'),
  why: (e) => transactionBlocked(e, 'null_sender'),
  judge: (p) => p.judged.map(judge).filter((s): s is CheckState => s !== null),
  okMessage,
});
