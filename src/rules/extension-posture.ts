import type { EndpointProbe } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { allEndpoints, blockedBefore, endpointRule, finding, untestedSuffix, type Partition } from './rule.js';

const NAME = 'smtp.extension_posture';

/** Extensions every modern MTA offers; their absence costs senders round trips or forces downgrades. */
export const EXPECTED_EXTENSIONS = ['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES', 'SMTPUTF8'] as const;

/** Keywords advertised before or after TLS, in first-seen order. */
export function extensionUnion(e: EndpointProbe): string[] {
  return [...new Set([...(e.extensions?.keywords ?? []), ...(e.extensions_tls?.keywords ?? [])])];
}

function judge(e: EndpointProbe): CheckState | null {
  const union = extensionUnion(e);
  const missing = EXPECTED_EXTENSIONS.filter((k) => !union.includes(k));
  if (missing.length === 0) return null;
  return finding(NAME, {
    status: Status.INFO,
    code: 'smtp.ext.missing',
    subject: e.subject,
    message: `${e.subject} does not advertise ${missing.join(', ')}: senders fall back to slower or more conservative delivery.`,
    fix: 'Modern MTAs offer these by default: Postfix enables PIPELINING, 8BITMIME and ENHANCEDSTATUSCODES unless listed in smtpd_discard_ehlo_keywords, and SMTPUTF8 with "smtputf8_enable = yes"; Exim needs "accept_8bitmime = true", "smtputf8_advertise_hosts = *" and pipelining_advertise_hosts.',
    meta: { mx: e.mx, address: e.address, missing, extensions: union },
  });
}

function okMeta(p: Partition): Record<string, unknown> {
  return { extensions: Object.fromEntries(p.judged.map((e) => [e.subject, extensionUnion(e)])) };
}

export const extensionPosture = endpointRule({
  name: NAME,
  description: 'Endpoints advertise PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES and SMTPUTF8.',
  untestedCode: 'smtp.ext.untested',
  what: 'the extensions',
  why: (e) => blockedBefore(e, 'session'),
  judge: (p) => p.judged.map(judge).filter((s): s is CheckState => s !== null),
  okMessage: (p) =>
    `${allEndpoints(p.judged, 'advertises', 'advertise')} ${EXPECTED_EXTENSIONS.join(', ')}${untestedSuffix(p)}.`,
  okMeta,
});
