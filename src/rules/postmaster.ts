import type { EndpointProbe } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { allEndpoints, endpointRule, finding, quoteReply, untestedSuffix } from './rule.js';
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

const NAME = 'smtp.postmaster';

function judge(e: EndpointProbe): CheckState | null {
  const broken = brokenTransaction(NAME, 'smtp.postmaster.no_answer', Status.WARN, e, 'postmaster');
  if (broken) return broken;
  const t = transactionOf(e, 'postmaster')!;
  const reply = decidingReply(t);
  const quoted = reply ? quoteReply(reply) : 'no reply';
  const meta = { mx: e.mx, address: e.address, ...replyMeta(t) };
  const base = { subject: e.subject, meta };
  if (t.outcome === 'accepted') return null;
  const aimed = checkerRefusal(NAME, 'smtp.postmaster.checker_refused', e, t, `whether postmaster@ takes mail`);
  if (aimed) return aimed;
  if (t.outcome === 'tempfail') {
    return finding(NAME, {
      ...base,
      status: Status.WARN,
      code: 'smtp.postmaster.tempfail',
      message: `${e.subject} answered ${t.decided_at === 'mail' ? `MAIL FROM:<${t.mail_from}>` : `RCPT TO:<${t.rcpt_to}>`} with a temporary refusal ${quoted} (greylisting or a rate limit?), so the postmaster address could not be confirmed.${maybeSelfInflicted(t)}`,
      fix: 'If it persists, exempt postmaster@ from greylisting and rate limits so problem reports always get through.',
    });
  }
  if (t.decided_at === 'mail') {
    return finding(NAME, {
      ...base,
      status: Status.UNKNOWN,
      code: 'smtp.postmaster.untested',
      message: `${e.subject} refused the test sender MAIL FROM:<${t.mail_from}> with ${quoted}, so whether it accepts postmaster could not be tested.`,
    });
  }
  return finding(NAME, {
    ...base,
    status: Status.CRIT,
    code: 'smtp.postmaster.rejected',
    message: `${e.subject} refused RCPT TO:<${t.rcpt_to}> with ${quoted}; RFC 5321 §4.5.1 requires every mail domain to accept mail for postmaster.`,
    fix: `Create postmaster@${t.rcpt_to.split('@')[1] ?? 'the domain'} (an alias to a mailbox someone reads: Postfix /etc/aliases or virtual_alias_maps, Exim the aliases router) and exempt it from recipient restrictions.`,
  });
}

export const postmaster = endpointRule({
  name: NAME,
  description: 'Endpoints accept RCPT TO:<postmaster@domain> (RFC 5321 §4.5.1).',
  probes: ['postmaster'],
  untestedCode: 'smtp.postmaster.untested',
  what: 'the postmaster address',
  precheck: switchedOff(NAME, 'smtp.postmaster.skipped', 'test_postmaster', 'postmaster'),
  why: (e) => transactionBlocked(e, 'postmaster'),
  judge: (p) => p.judged.map(judge).filter((s): s is CheckState => s !== null),
  okMessage: (p, obs) =>
    `${allEndpoints(p.judged, 'accepts', 'accept')} mail for postmaster@${obs.domain}${untestedSuffix(p)}.`,
});
