import type { EndpointProbe } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
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

const FIX_GREETING =
  'The MTA must greet with "220 <host name> ESMTP" (RFC 5321 §4.3.1). Check the smtpd logs for why it refuses clients: Postfix postscreen or smtpd_client_restrictions, Exim acl_smtp_connect, a full queue or disk.';

function judge(e: EndpointProbe): CheckState | null {
  const g = e.greeting;
  const meta = { mx: e.mx, address: e.address, ...(g ? { reply: g.lines } : { error: e.error }) };
  const base = { subject: e.subject, meta };
  if (g?.code === 220) return null;
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
    // A drip (a byte a second, or continuation lines without end) is not silence: say how far it got.
    const sent =
      e.bytes_received > 0 ? `sent only ${plural(e.bytes_received, 'byte')} of a greeting` : 'sent no greeting';
    return finding(NAME, {
      ...base,
      status: Status.CRIT,
      code: 'smtp.banner.timeout',
      message: `${e.subject} accepted the connection but ${sent} before the time budget ran out.`,
      fix: 'Check that the MTA answers promptly (Postfix postscreen_greet_wait, Exim smtp_accept_queue / DNS lookups at connect) and is not overloaded.',
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
  description: 'Every reachable endpoint greets with a 220 reply.',
  untestedCode: 'smtp.banner.untested',
  what: 'the greeting',
  why: (e) => blockedBefore(e, 'greeting'),
  judge: (p) => p.judged.map(judge).filter((s): s is CheckState => s !== null),
  okMessage: (p) => `${allEndpoints(p.judged, 'greets', 'greet')} with a 220 reply${untestedSuffix(p)}.`,
});
