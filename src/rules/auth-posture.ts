import type { EndpointProbe } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { blockedBefore, endpointRule, finding, untestedSuffix } from './rule.js';
import { offersStartTls } from './starttls-offered.js';

const NAME = 'smtp.auth_posture';

const FIX_AUTH =
  'Advertise AUTH only over TLS: Postfix "smtpd_tls_auth_only = yes" (or move authenticated submission to port 587/465 and set "smtpd_sasl_auth_enable = no" on port 25); Exim "auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}".';

function judge(e: EndpointProbe): CheckState | null {
  const ext = e.extensions;
  if (!ext?.keywords.includes('AUTH')) return null;
  const mechs = ext.auth.length > 0 ? ` (${ext.auth.join(', ')})` : '';
  const consequence = offersStartTls(e)
    ? 'a client that logs in before STARTTLS sends its credentials in clear text'
    : 'STARTTLS is not offered, so credentials can only cross in clear text';
  return finding(NAME, {
    status: Status.CRIT,
    code: 'smtp.auth.plaintext',
    subject: e.subject,
    message: `${e.subject} advertises AUTH${mechs} before STARTTLS: ${consequence}.`,
    fix: FIX_AUTH,
    meta: { mx: e.mx, address: e.address, mechanisms: ext.auth },
  });
}

export const authPosture = endpointRule({
  name: NAME,
  description: 'No endpoint advertises AUTH before STARTTLS (credentials in clear text).',
  untestedCode: 'smtp.auth.untested',
  what: 'the AUTH posture',
  why: (e) => blockedBefore(e, 'session'),
  judge: (p) => p.judged.map(judge).filter((s): s is CheckState => s !== null),
  okMessage: (p) =>
    p.judged.length === 1
      ? `${p.judged[0]!.subject} does not advertise AUTH before STARTTLS${untestedSuffix(p)}.`
      : `None of the ${p.judged.length} endpoints advertises AUTH before STARTTLS${untestedSuffix(p)}.`,
});
