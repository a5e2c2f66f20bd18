import type { EndpointProbe, Observation, Reply } from '../model/observation.js';
import { MAX_TIMEOUT_S } from '../model/limits.js';
import { Status, type CheckState } from '../model/status.js';
import { greetingDomain } from './greeting-domain.js';
import {
  allEndpoints,
  blockedBefore,
  endpointRule,
  finding,
  is4xx,
  plural,
  quoteReply,
  untestedSuffix,
} from './rule.js';

const NAME = 'smtp.banner_sanity';

/** How long a sender waits for a greeting (RFC 5321 §4.5.3.2: 5 minutes), which is also the longest budget the checker takes. */
const GREETING_WAIT_S = MAX_TIMEOUT_S;

const FIX_GREETING =
  'The MTA must greet with "220 <host name> ESMTP" (RFC 5321 §4.3.1). Check the smtpd logs for why it refuses clients: Postfix postscreen or smtpd_client_restrictions, Exim acl_smtp_connect, a full queue or disk.';

/** A 220 greeting must name the server first (RFC 5321 §4.2, §4.3.1); null when it does. */
function nameless(e: EndpointProbe, g: Reply, base: { subject: string; meta: Record<string, unknown> }) {
  const kind = greetingDomain(g);
  if (kind === 'domain' || kind === 'address_literal') return null;
  const proper = `"220 ${e.mx[0] ?? 'mx.example.com'} ESMTP"`;
  const masked = kind === 'masked';
  return finding(NAME, {
    ...base,
    status: Status.WARN,
    code: 'smtp.banner.no_hostname',
    message: masked
      ? `${e.subject} greeted with ${quoteReply(g)}: a banner of asterisks is the mark of a firewall's SMTP inspection (Cisco PIX/ASA "fixup smtp" / "inspect esmtp") rewriting the server's greeting, which also hides the server's name that RFC 5321 §4.2 puts first; such inspection commonly breaks STARTTLS and ESMTP too.`
      : `${e.subject} greeted with ${quoteReply(g)}, which does not begin with the server's domain: RFC 5321 §4.2 wants the greeting to name the host first, e.g. ${proper}.`,
    fix: masked
      ? `Turn off the firewall's SMTP inspection so the MTA's own greeting, e.g. ${proper}, reaches senders: on a Cisco ASA "policy-map global_policy", "class inspection_default", "no inspect esmtp"; on a PIX "no fixup protocol smtp 25".`
      : `Make the MTA greet with its host name first, e.g. ${proper}: Postfix smtpd_banner = $myhostname ESMTP, Exim smtp_banner = $smtp_active_hostname ESMTP; and check that no firewall or proxy rewrites the banner.`,
  });
}

function judge(e: EndpointProbe, obs: Observation): CheckState | null {
  const g = e.greeting;
  const meta = { mx: e.mx, address: e.address, ...(g ? { reply: g.lines } : { error: e.error }) };
  const base = { subject: e.subject, meta };
  if (g?.code === 220) return nameless(e, g, base);
  if (g && is4xx(g)) {
    const again = e.retry
      ? `, and again when tried alone ${seconds(e.retry.delay_ms)} after the other endpoints (first: ${e.retry.first_greeting ? quoteReply(e.retry.first_greeting) : (e.retry.first_error?.message ?? 'no greeting')})`
      : '';
    return finding(NAME, {
      ...base,
      status: Status.WARN,
      code: 'smtp.banner.tempfail',
      message: `${e.subject} greeted with a temporary refusal ${quoteReply(g)}${again}, so it could not be tested further; senders will try again later.`,
      fix: "A 4xx greeting tells senders to come back later; if it persists, check the MTA's load, connection limits and logs.",
    });
  }
  if (g) {
    return finding(NAME, {
      ...base,
      status: Status.CRIT,
      code: 'smtp.banner.invalid',
      message: `${e.subject} greeted with ${quoteReply(g)} instead of 220: senders cannot deliver mail to it.`,
      fix: FIX_GREETING,
    });
  }
  if (e.error?.code === 'timeout' && e.error.phase === 'greeting') {
    // Silence when our budget ends is not a broken server: RFC 5321 §4.5.3.2 lets a client wait five
    // minutes for the greeting, and greeting pauses are common anti-spam practice (postscreen, Exim
    // acl_smtp_connect delays). Say how far it got; CRIT is for a close, a reset or a wrong answer.
    const sent =
      e.bytes_received > 0 ? `sent only ${plural(e.bytes_received, 'byte')} of a greeting` : 'sent no greeting';
    return finding(NAME, {
      ...base,
      status: Status.UNKNOWN,
      code: 'smtp.banner.timeout',
      message: `${e.subject} accepted the connection but ${sent} within the checker's ${obs.options.timeout} s budget. Senders wait up to 5 minutes for a greeting (RFC 5321 §4.5.3.2), and many servers pause on purpose, so whether it greets could not be told.`,
      fix: `Run again with --timeout ${GREETING_WAIT_S} to wait as long as senders do. If it still does not greet, check that the MTA answers promptly (Postfix postscreen_greet_wait, Exim acl_smtp_connect delays and DNS lookups at connect) and is not overloaded.`,
    });
  }
  const reason = e.error ? `${e.error.message} (${e.error.code})` : 'no greeting was received';
  return finding(NAME, {
    ...base,
    status: Status.CRIT,
    code: 'smtp.banner.invalid',
    message: `${e.subject} accepted the connection but sent no valid greeting: ${reason}.`,
    fix: FIX_GREETING,
  });
}

/** "1.5 s": a back-off, as a person reads it. */
function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export const bannerSanity = endpointRule({
  name: NAME,
  description: 'Every reachable endpoint greets with a 220 reply that names the server first.',
  untestedCode: 'smtp.banner.untested',
  what: 'the greeting',
  why: (e) => blockedBefore(e, 'greeting'),
  judge: (p, obs) => p.judged.map((e) => judge(e, obs)).filter((s): s is CheckState => s !== null),
  okMessage: (p) =>
    `${allEndpoints(p.judged, 'greets', 'greet')} with a 220 reply naming the server${untestedSuffix(p)}.`,
});
