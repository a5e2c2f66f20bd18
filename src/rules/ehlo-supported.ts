import type { EndpointProbe } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import {
  allEndpoints,
  blockedBefore,
  endpointRule,
  finding,
  is2xx,
  is4xx,
  quoteReply,
  untestedSuffix,
} from './rule.js';

const NAME = 'smtp.ehlo_supported';

const FIX_EHLO =
  'Every modern MTA speaks ESMTP (RFC 5321 §4.1.1.1): look for a proxy or firewall "SMTP fixup" (e.g. Cisco ASA inspect esmtp) in front of the server that strips EHLO, and check the MTA\'s HELO restrictions (Postfix smtpd_helo_restrictions, Exim acl_smtp_helo).';

function judge(e: EndpointProbe): CheckState | null {
  const meta = { mx: e.mx, address: e.address, ehlo: e.ehlo?.lines ?? null, helo: e.helo?.lines ?? null };
  const base = { subject: e.subject, meta };
  const err = e.error ? `: ${e.error.message} (${e.error.code})` : '';
  if (e.helo_fallback || is2xx(e.helo)) {
    const refusal = e.ehlo && !is2xx(e.ehlo) ? ` with ${quoteReply(e.ehlo)}` : '';
    return finding(NAME, {
      ...base,
      status: Status.WARN,
      code: 'smtp.ehlo.helo_fallback',
      message: `${e.subject} refused EHLO${refusal} and only accepted HELO: without ESMTP there is no STARTTLS, 8BITMIME or SIZE.`,
      fix: FIX_EHLO,
    });
  }
  if (is2xx(e.ehlo)) return null;
  if (!e.ehlo) {
    return finding(NAME, {
      ...base,
      status: Status.CRIT,
      code: 'smtp.ehlo.no_answer',
      message: `${e.subject} greeted but did not answer EHLO${err}.`,
      fix: 'Check the MTA logs for why it stalls or drops the session after the greeting (slow DNS lookups on the client, HELO restrictions, a proxy in front).',
    });
  }
  if (is4xx(e.ehlo)) {
    return finding(NAME, {
      ...base,
      status: Status.WARN,
      code: 'smtp.ehlo.tempfail',
      message: `${e.subject} answered EHLO with a temporary refusal ${quoteReply(e.ehlo)}, so it could not be tested further.`,
      fix: 'A 4xx to EHLO tells senders to retry later; if it persists, check the MTA logs and its HELO restrictions (Postfix smtpd_helo_restrictions, Exim acl_smtp_helo).',
    });
  }
  const helo = e.helo ? `HELO with ${quoteReply(e.helo)}` : `did not answer HELO${err}`;
  return finding(NAME, {
    ...base,
    status: Status.CRIT,
    code: 'smtp.ehlo.rejected',
    message: `${e.subject} refused EHLO with ${quoteReply(e.ehlo)} and ${e.helo ? 'refused ' : ''}${helo}: senders cannot open a mail session.`,
    fix: FIX_EHLO,
  });
}

export const ehloSupported = endpointRule({
  name: NAME,
  description: 'Every endpoint accepts EHLO (a fallback to HELO is flagged).',
  untestedCode: 'smtp.ehlo.untested',
  what: 'EHLO support',
  why: (e) => blockedBefore(e, 'hello'),
  judge: (p) => p.judged.map(judge).filter((s): s is CheckState => s !== null),
  okMessage: (p) => `${allEndpoints(p.judged, 'accepts', 'accept')} EHLO${untestedSuffix(p)}.`,
});
