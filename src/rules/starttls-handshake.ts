import type { EndpointProbe } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { allEndpoints, blockedBefore, endpointRule, finding, is2xx, quoteReply, untestedSuffix } from './rule.js';

const NAME = 'smtp.starttls_handshake';

const FIX_HANDSHAKE =
  "Check the MTA's TLS setup: the certificate and key files exist, match and are readable (Postfix smtpd_tls_cert_file / smtpd_tls_key_file, Exim tls_certificate / tls_privatekey), and the protocol and cipher settings leave something modern enabled; the smtpd log names the error. A server that offers STARTTLS but fails it is worse than none: strict senders defer mail to it.";

function why(e: EndpointProbe): string | null {
  const upstream = blockedBefore(e, 'session');
  if (upstream) return upstream;
  if (!e.starttls.offered) return 'STARTTLS not offered';
  if (!e.starttls.attempted) return 'STARTTLS not attempted';
  return null;
}

function failure(e: EndpointProbe): string {
  const { reply, error } = e.starttls;
  if (reply && reply.code !== 220) return `answered STARTTLS with ${quoteReply(reply)}`;
  if (error) return `failed the TLS handshake: ${error.message}`;
  if (!reply) return `did not answer STARTTLS${e.error ? `: ${e.error.message}` : ''}`;
  return `accepted STARTTLS but the TLS handshake did not complete${e.error ? `: ${e.error.message}` : ''}`;
}

/** How the plaintext connection after the failed handshake went: what senders that fall back meet. */
function fallbackOutcome(e: EndpointProbe): 'accepted' | 'refused' | 'failed' {
  const fb = e.plaintext_fallback;
  if (!fb?.connected || fb.greeting?.code !== 220 || !is2xx(fb.hello)) return 'failed';
  return e.transactions.some((t) => !t.tls && t.outcome === 'accepted') ? 'accepted' : 'refused';
}

/** " Senders that fall back to plaintext … " after a failed handshake, from the second connection. */
function fallbackNote(e: EndpointProbe): string {
  if (!e.plaintext_fallback) return '';
  switch (fallbackOutcome(e)) {
    case 'accepted':
      return ' Mail still flows, unencrypted: on a second connection without STARTTLS, as senders that fall back make it (Postfix smtp_tls_security_level = may, Exim tls_tempfail_tryclear), it accepted the test transactions; senders that insist on TLS defer their mail.';
    case 'refused':
      return ' On a second connection without STARTTLS, as senders that fall back make it, it refused the test transactions (see the transaction findings): such senders cannot deliver either.';
    case 'failed':
      return ` A second connection without STARTTLS, as senders that fall back make it, did not get as far as a transaction${e.plaintext_fallback.error ? ` (${e.plaintext_fallback.error.message})` : ''}.`;
  }
}

function judge(e: EndpointProbe): CheckState[] {
  const meta = {
    mx: e.mx,
    address: e.address,
    reply: e.starttls.reply?.lines ?? null,
    error: e.starttls.error ?? e.error,
  };
  const out: CheckState[] = [];
  if (!e.starttls.ok) {
    out.push(
      finding(NAME, {
        status: Status.CRIT,
        code: 'smtp.starttls.failed',
        subject: e.subject,
        message: `${e.subject} advertises STARTTLS but ${failure(e)}.${fallbackNote(e)}`,
        fix: FIX_HANDSHAKE,
        meta: { ...meta, ...(e.plaintext_fallback ? { plaintext_fallback: fallbackOutcome(e) } : {}) },
      }),
    );
    return out;
  }
  if (e.starttls.discarded_bytes > 0) {
    out.push(
      finding(NAME, {
        status: Status.WARN,
        code: 'smtp.starttls.plaintext_injected',
        subject: e.subject,
        message: `${e.subject} sent ${e.starttls.discarded_bytes} bytes of plaintext after its 220 to STARTTLS; they were discarded. That is a server bug or a sign of a man-in-the-middle injecting responses (the STARTTLS injection class of bugs).`,
        fix: 'Look for a proxy, load balancer or filter in front of the MTA that writes to the connection, and update the MTA.',
        meta: { ...meta, discarded_bytes: e.starttls.discarded_bytes },
      }),
    );
  }
  if (!is2xx(e.ehlo_tls)) {
    const what = e.ehlo_tls
      ? `answered EHLO over TLS with ${quoteReply(e.ehlo_tls)}`
      : `did not answer EHLO over TLS${e.error ? `: ${e.error.message}` : ''}`;
    out.push(
      finding(NAME, {
        status: Status.CRIT,
        code: 'smtp.starttls.ehlo_failed',
        subject: e.subject,
        message: `${e.subject} completed the TLS handshake but ${what}: senders using STARTTLS cannot deliver.`,
        fix: 'Check the MTA log for errors right after the TLS handshake (RFC 3207 §4.2: the client says EHLO again over TLS).',
        meta: { ...meta, ehlo_tls: e.ehlo_tls?.lines ?? null },
      }),
    );
  }
  return out;
}

export const starttlsHandshake = endpointRule({
  name: NAME,
  description: 'The STARTTLS handshake succeeds wherever STARTTLS is advertised.',
  untestedCode: 'smtp.starttls.handshake_untested',
  what: 'the STARTTLS handshake',
  why,
  judge: (p) => p.judged.flatMap(judge),
  okMessage: (p) => `${allEndpoints(p.judged, 'completes', 'complete')} the STARTTLS handshake${untestedSuffix(p)}.`,
});
