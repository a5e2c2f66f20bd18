/**
 * The report model: everything a report shows, computed from (observation,
 * states, related) by a pure function. Ordering, grouping and wording happen
 * here and in the modules it assembles (findings, endpoint facts, DNS), so
 * tests can check them and the terminal and HTML reports say the same
 * things in the same order; the renderers only lay out and escape.
 *
 * The model never runs the rules: it shows the states it is given (none
 * given reads as "no rules were evaluated").
 */
import type { Observation } from '../model/observation.js';
import { Status, countFindings, severity, worstStatus, type CheckState, type StatusValue } from '../model/status.js';
import { plural, sanitize } from '../model/text.js';
import { parseRelatedTls } from '../rules/related-tls.js';
import { dnsView, noEndpointReason, type DnsView } from './dns-view.js';
import { anchorOf, endpointSection, summaryRow, type EndpointSection, type SummaryRow } from './endpoint-view.js';
import { buildFindings, type FixItem } from './findings.js';
import { duration, statusView, type StatusView } from './wording.js';

export type { Cell, KeyValue, ReplyView, StatusView, Tone } from './wording.js';
export type { FixItem } from './findings.js';
export type { CertificateView, TranscriptLineView, TransactionView } from './endpoint-facts.js';
export type { EndpointSection, RelatedTlsView, SummaryRow } from './endpoint-view.js';
export type { DnsTargetView, DnsView } from './dns-view.js';
export { anchorOf } from './endpoint-view.js';

export interface ReportInput {
  /** The rule states to show; an empty list reads as "no rules were evaluated". */
  states: readonly CheckState[];
  related?: Readonly<Record<string, readonly unknown[]>> | undefined;
  /** The states were evaluated by the report itself (none came with the observation): the report says so. */
  evaluatedByReport?: boolean | undefined;
}

export interface ReportViewModel {
  domain: string;
  title: string;
  checkedAt: string;
  /** "checked … · took … · checker-smtp 0.1.0 · port 25". */
  about: string;
  verdict: StatusView & { sentence: string };
  /** Where the states came from, when the reader should know; null when the host or caller gave them. */
  statesNote: string | null;
  fixes: FixItem[];
  /** "Could not be tested" consequences of a problem listed in fixes. */
  untested: FixItem[];
  /** What the What to fix list says when it is empty; null when it is not. */
  nothingToFix: string | null;
  rows: SummaryRow[];
  noEndpoints: string | null;
  endpoints: EndpointSection[];
  dns: DnsView;
  relatedNotes: string[];
}

function coverage(obs: Observation): string {
  const eps = plural(obs.endpoints.length, 'endpoint');
  return obs.dns.implicit_mx ? `${eps} (implicit MX)` : `${eps} (${plural(obs.dns.mx.length, 'MX host')})`;
}

/** One sentence for the worst status; `d` is the sanitized domain. */
function verdictSentence(obs: Observation, d: string, states: readonly CheckState[], worst: StatusValue): string {
  if (states.length === 0) return `${d} was probed but no rules were evaluated.`;
  if (obs.dns.null_mx && severity(worst) <= severity(Status.INFO))
    return `${d} publishes a null MX: it accepts no mail (RFC 7505).`;
  const n = countFindings(states, worst);
  switch (worst) {
    case Status.OK:
      return `${d} receives mail correctly on ${coverage(obs)}.`;
    case Status.INFO:
      return `${d} receives mail correctly on ${coverage(obs)}; ${n}.`;
    case Status.WARN:
      return `${d} receives mail, with reservations: ${n}.`;
    case Status.CRIT:
      return `${d} cannot receive mail reliably: ${n}.`;
    case Status.UNKNOWN:
      return `${d} could not be fully assessed: ${n}.`;
    default:
      return `${d} could not be checked: ${n}.`;
  }
}

export function buildReportView(obs: Observation, input: ReportInput): ReportViewModel {
  const { states } = input;
  const domain = sanitize(obs.domain);
  const related = parseRelatedTls(input.related, obs.collected_at);
  const anchors = new Map(obs.endpoints.map((e, i) => [e.subject, anchorOf(i)]));
  const findings = buildFindings(states, domain, anchors);
  // No states means no rule ran: claiming OK would be a lie.
  const worst = states.length === 0 ? Status.UNKNOWN : worstStatus(states);
  const checker = `${sanitize(obs.checker.name)} ${sanitize(obs.checker.version)}`;
  return {
    domain,
    title: `Inbound mail report for ${domain}`,
    checkedAt: sanitize(obs.collected_at),
    about: `checked ${sanitize(obs.collected_at)} · took ${duration(obs.duration_ms)} · ${checker} · port ${obs.options.port}`,
    verdict: { ...statusView(worst), sentence: verdictSentence(obs, domain, states, worst) },
    statesNote:
      input.evaluatedByReport && states.length > 0
        ? 'Rule states evaluated by this report from the observation.'
        : null,
    fixes: findings.fixes,
    untested: findings.untested,
    nothingToFix: findings.nothingToFix,
    rows: obs.endpoints.map((ep, i) => summaryRow(ep, i, states, domain)),
    noEndpoints: noEndpointReason(obs),
    endpoints: obs.endpoints.map((ep, i) =>
      endpointSection(ep, i, { obs, states, fixes: findings.fixes, related, domain }),
    ),
    dns: dnsView(obs),
    relatedNotes: related.unattributed.map((p) => `A related TLS observation was ignored: ${sanitize(p.reason)}.`),
  };
}
