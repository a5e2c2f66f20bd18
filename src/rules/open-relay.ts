import type { EndpointProbe, Reply, Transaction } from '../model/observation.js';
import { classifyRefusal } from '../model/refusal.js';
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

const NAME = 'smtp.open_relay';

const FIX_RELAY =
  'Relay only for your own users: Postfix "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination" with a tight mynetworks (only your own hosts); Exim: keep relay_from_hosts to your own hosts and the default acl_smtp_rcpt check "require message = relay not permitted / domains = +local_domains : +relay_to_domains". Then check the address is not already on blocklists.';

/** Replies compared without their addresses: "<a@x>: Sender address rejected" and "<b@y>: Sender…" are one answer. */
function withoutAddresses(reply: Reply): string {
  return reply.lines
    .join(' ')
    .replace(/<[^>]*>/g, '<>')
    .replace(/\S+@\S+/g, '@')
    .toLowerCase();
}

/**
 * The postmaster@domain transaction that was refused at RCPT with exactly
 * the answer the relay probe got, if any, when that answer names nothing: a
 * server that answers its own postmaster and an outside recipient alike is
 * not judging the recipient.
 */
function sameRefusalAsLocal(e: EndpointProbe, relay: Transaction): Transaction | null {
  if (relay.outcome !== 'rejected' || relay.decided_at !== 'rcpt' || !relay.rcpt) return null;
  // Words that name relaying or the recipient say what was judged, even when the local refusal reads alike
  // (OpenSMTPD answers "Invalid recipient" to an unknown local user and an outside one).
  if (classifyRefusal(relay.rcpt).target !== 'unknown') return null;
  const wanted = withoutAddresses(relay.rcpt);
  for (const kind of ['postmaster', 'null_sender'] as const) {
    const t = transactionOf(e, kind);
    if (t?.outcome === 'rejected' && t.decided_at === 'rcpt' && t.rcpt && t.rcpt.code === relay.rcpt.code) {
      if (withoutAddresses(t.rcpt) === wanted) return t;
    }
  }
  return null;
}

function judge(e: EndpointProbe): CheckState | null {
  const broken = brokenTransaction(NAME, 'smtp.open_relay.no_answer', Status.UNKNOWN, e, 'open_relay');
  if (broken) return broken;
  const t = transactionOf(e, 'open_relay')!;
  const reply = decidingReply(t);
  const quoted = reply ? quoteReply(reply) : 'no reply';
  const meta = { mx: e.mx, address: e.address, ...replyMeta(t) };
  const base = { subject: e.subject, meta };
  if (t.outcome === 'accepted') {
    return finding(NAME, {
      ...base,
      status: Status.CRIT,
      code: 'smtp.open_relay',
      message: `${e.subject} is an open relay: it accepted RCPT TO:<${t.rcpt_to}>, a recipient outside the domain, from an outside sender. Answered ${quoted}.`,
      fix: FIX_RELAY,
    });
  }
  // A relay verdict is OK only when the refusal is about relaying: a refusal of the checker's
  // address, HELO name or sender leaves relaying untested (the same server may relay for others).
  const aimed = checkerRefusal(NAME, 'smtp.open_relay.checker_refused', e, t, `whether it relays to <${t.rcpt_to}>`);
  if (aimed) return aimed;
  if (t.outcome === 'tempfail') {
    return finding(NAME, {
      ...base,
      status: Status.UNKNOWN,
      code: 'smtp.open_relay.tempfail',
      message: `${e.subject} answered the relay probe to <${t.rcpt_to}> with a temporary refusal ${quoted}, so whether it relays could not be told.${maybeSelfInflicted(t)}`,
    });
  }
  const same = sameRefusalAsLocal(e, t);
  if (same) {
    return finding(NAME, {
      ...base,
      status: Status.UNKNOWN,
      code: 'smtp.open_relay.inconclusive',
      message: `${e.subject} refused the outside recipient <${t.rcpt_to}> with ${quoted}, the same answer it gave RCPT TO:<${same.rcpt_to}> of its own domain: the refusal is about the sender or the client, not about relaying, so whether it relays could not be told.`,
      fix: 'Look up why the server refuses the checker (its log for this session), or run the check from another host or with another --mail-from.',
    });
  }
  if (t.decided_at === 'mail') {
    return finding(NAME, {
      ...base,
      status: Status.UNKNOWN,
      code: 'smtp.open_relay.untested',
      message: `${e.subject} refused the test sender MAIL FROM:<${t.mail_from}> with ${quoted}, so relaying to <${t.rcpt_to}> could not be tested.`,
    });
  }
  return null;
}

export const openRelay = endpointRule({
  name: NAME,
  description: 'No endpoint relays mail to recipients outside the domain.',
  probes: ['open_relay'],
  untestedCode: 'smtp.open_relay.untested',
  what: 'relaying',
  precheck: switchedOff(NAME, 'smtp.open_relay.skipped', 'test_open_relay', 'open-relay'),
  why: (e) => transactionBlocked(e, 'open_relay'),
  judge: (p) => p.judged.map(judge).filter((s): s is CheckState => s !== null),
  okMessage: (p, obs) => {
    const replaced = obs.options.probe_address_replaced
      ? '; the requested probe address lay inside the tested domain and was replaced'
      : '';
    return `${allEndpoints(p.judged, 'refuses', 'refuse')} to relay to <${obs.options.test_probe_address}>${replaced}${untestedSuffix(p)}.`;
  },
});
