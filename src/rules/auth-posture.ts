import type { EndpointProbe } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { authExposure, worstExposure, type AuthExposure } from './auth-mechanisms.js';
import { blockedBefore, endpointRule, finding, untestedSuffix } from './rule.js';
import { offersStartTls } from './starttls-offered.js';

const NAME = 'smtp.auth_posture';

const FIX_AUTH =
  'Advertise AUTH only over TLS: Postfix "smtpd_tls_auth_only = yes" (or move authenticated submission to port 587/465 and set "smtpd_sasl_auth_enable = no" on port 25); Exim "auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}".';

/** "PLAIN and LOGIN", "CRAM-MD5, DIGEST-MD5 and NTLM". */
function listed(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** What a login before TLS exposes when the worst mechanism offered is `worst`. */
function exposure(worst: AuthExposure, mechanisms: readonly string[]): string {
  const they = mechanisms.length === 1 ? 'It sends' : 'They send';
  if (worst === 'offline')
    return `${they} no reusable secret, but before TLS an eavesdropper sees the user name and can record the challenge-response exchange to guess the password offline`;
  if (worst === 'protected') return `${they} no reusable secret, nor an exchange an eavesdropper could attack offline`;
  const unknown = mechanisms.filter((m) => authExposure(m) === 'unknown');
  return unknown.length > 0
    ? `The checker cannot tell what ${listed(unknown)} ${unknown.length === 1 ? 'exposes' : 'expose'} without TLS`
    : 'The checker cannot tell what a login there exposes without TLS';
}

function judge(e: EndpointProbe): CheckState | null {
  const ext = e.extensions;
  if (!ext?.keywords.includes('AUTH')) return null;
  const worst = worstExposure(ext.auth);
  // ANONYMOUS or EXTERNAL alone: no credentials to expose.
  if (worst === 'none') return null;
  const mechs = ext.auth.length > 0 ? ` (${ext.auth.join(', ')})` : ' without naming a mechanism';
  const meta = { mx: e.mx, address: e.address, mechanisms: ext.auth };
  const tls = offersStartTls(e);
  if (worst === 'cleartext') {
    const secret = ext.auth.filter((m) => authExposure(m) === 'cleartext');
    const consequence = tls
      ? 'a client that logs in before STARTTLS sends its credentials in clear text'
      : 'STARTTLS is not offered, so credentials can only cross in clear text';
    return finding(NAME, {
      status: Status.CRIT,
      code: 'smtp.auth.plaintext',
      subject: e.subject,
      message: `${e.subject} advertises AUTH${mechs} before STARTTLS: ${listed(secret)} ${secret.length === 1 ? 'sends' : 'send'} the password or token itself, so ${consequence}.`,
      fix: FIX_AUTH,
      meta,
    });
  }
  const session = tls
    ? 'and the mail of a session that logs in before STARTTLS crosses in clear text'
    : 'and STARTTLS is not offered, so every login and the mail after it cross in clear text';
  return finding(NAME, {
    status: Status.WARN,
    code: 'smtp.auth.before_tls',
    subject: e.subject,
    message: `${e.subject} advertises AUTH${mechs} before STARTTLS. ${exposure(worst, ext.auth)}, ${session}.`,
    fix: FIX_AUTH,
    meta,
  });
}

export const authPosture = endpointRule({
  name: NAME,
  description: 'No endpoint offers a login before STARTTLS (clear-text credentials are CRIT, other mechanisms WARN).',
  untestedCode: 'smtp.auth.untested',
  what: 'the AUTH posture',
  why: (e) => blockedBefore(e, 'session'),
  judge: (p) => p.judged.map(judge).filter((s): s is CheckState => s !== null),
  okMessage: (p) =>
    p.judged.length === 1
      ? `${p.judged[0]!.subject} does not offer a login before STARTTLS${untestedSuffix(p)}.`
      : `None of the ${p.judged.length} endpoints offers a login before STARTTLS${untestedSuffix(p)}.`,
});
