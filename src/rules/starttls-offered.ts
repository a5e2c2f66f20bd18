import type { EndpointProbe } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import {
  allEndpoints,
  blockedBefore,
  endpointRule,
  finding,
  plural,
  quoteReply,
  untestedSuffix,
  type Partition,
} from './rule.js';

const NAME = 'smtp.starttls_offered';

export const FIX_STARTTLS =
  'Enable STARTTLS with a certificate for the MX name: Postfix "smtpd_tls_security_level = may" with smtpd_tls_cert_file and smtpd_tls_key_file; Exim "tls_advertise_hosts = *" with tls_certificate and tls_privatekey. Once it works, publish MTA-STS (RFC 8461) or DANE TLSA records (RFC 7672) so senders insist on it.';

export function offersStartTls(e: EndpointProbe): boolean {
  return e.starttls.offered || (e.extensions?.keywords.includes('STARTTLS') ?? false);
}

function judge(p: Partition, domain: string): CheckState[] {
  const missing = p.judged.filter((e) => !offersStartTls(e));
  const out = missing.map((e) =>
    finding(NAME, {
      status: Status.CRIT,
      code: 'smtp.starttls.missing',
      subject: e.subject,
      message: `${e.subject} does not advertise STARTTLS${e.helo_fallback ? ' (it only speaks HELO, which has no extensions)' : ''}: mail to it crosses the network in clear text.`,
      fix: FIX_STARTTLS,
      meta: { mx: e.mx, address: e.address, extensions: e.extensions?.keywords ?? [] },
    }),
  );
  // RFC 3207 §4: "A publicly-referenced SMTP server MUST NOT require use of the STARTTLS extension".
  for (const e of p.judged) {
    const refused = e.starttls.plaintext_refused;
    if (!refused) continue;
    const command = refused.command === 'mail' ? 'MAIL FROM' : 'RCPT TO';
    out.push(
      finding(NAME, {
        status: Status.WARN,
        code: 'smtp.starttls.required',
        subject: e.subject,
        message: `${e.subject} refuses mail in plaintext: it answered ${command} before STARTTLS with ${quoteReply(refused.reply)}. RFC 3207 §4 forbids a publicly referenced server to require STARTTLS: senders without TLS, or whose handshake with it fails, cannot deliver.`,
        fix: 'Offer STARTTLS without requiring it on port 25: Postfix "smtpd_tls_security_level = may" (not "encrypt"), Exim without a "deny !encrypted = *" ACL. To make senders insist on TLS, publish MTA-STS (RFC 8461) or DANE TLSA records (RFC 7672) instead.',
        meta: { mx: e.mx, address: e.address, command: refused.command, reply: refused.reply.lines },
      }),
    );
  }
  if (missing.length > 0 && missing.length === p.judged.length) {
    out.push(
      finding(NAME, {
        status: Status.CRIT,
        code: 'smtp.all_no_starttls',
        subject: domain,
        message: `No endpoint advertises STARTTLS (${plural(p.judged.length, 'endpoint')} tested): all mail to ${domain} travels unencrypted.`,
        fix: FIX_STARTTLS,
      }),
    );
  }
  return out;
}

export const starttlsOffered = endpointRule({
  name: NAME,
  description: 'Every endpoint advertises the STARTTLS extension (RFC 3207), without requiring it.',
  untestedCode: 'smtp.starttls.untested',
  what: 'STARTTLS support',
  why: (e) => blockedBefore(e, 'session'),
  judge: (p, obs) => judge(p, obs.domain),
  okMessage: (p) => `${allEndpoints(p.judged, 'advertises', 'advertise')} STARTTLS${untestedSuffix(p)}.`,
});
