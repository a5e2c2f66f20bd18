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
import { notProbedReason } from '../rules/unprobed.js';
import { dnsView, noEndpointReason, resolverView, type DnsView } from './dns-view.js';
import { cutNote, egressView, type EgressView } from './network-view.js';
import { anchorOf, endpointSection, summaryRow, type EndpointSection, type SummaryRow } from './endpoint-view.js';
import { buildFindings, type EndpointInfo, type FixItem } from './findings.js';
import { duration, statusView, type StatusView } from './wording.js';

export type { Cell, KeyValue, ReplyView, StatusView, Tone } from './wording.js';
export type { FindingSubject, FixItem } from './findings.js';
export type { CertificateView, TranscriptLineView, TransactionView } from './endpoint-facts.js';
export type { EndpointSection, RelatedTlsView, SummaryRow } from './endpoint-view.js';
export type { DnsTargetView, DnsView } from './dns-view.js';
export type { EgressView } from './network-view.js';
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
  /** The check was cut short (cancelled, deadline): when, and what it left untested; null when it ran to the end. */
  cutNote: string | null;
  /** What to fix (WARN, CRIT, UNKNOWN, ERROR), identical findings on several endpoints grouped. */
  fixes: FixItem[];
  /** Remarks (INFO): nothing to act on, listed apart so a healthy domain reads "Nothing to fix". */
  remarks: FixItem[];
  /** "Could not be tested" consequences of a problem listed in fixes. */
  untested: FixItem[];
  /** What the What to fix list says when it is empty; null when it is not. */
  nothingToFix: string | null;
  /** "14 of 16 checks passed, 1 with a remark.": one line; null when no rule was evaluated. */
  passed: string | null;
  rows: SummaryRow[];
  noEndpoints: string | null;
  endpoints: EndpointSection[];
  dns: DnsView;
  /** The egress check (can this machine reach port 25 at all?), when it ran; null otherwise. */
  egress: EgressView | null;
  relatedNotes: string[];
}

/** What findings need to know of each endpoint subject: its section's anchor, its address, its MX names. */
function endpointInfo(obs: Observation): Map<string, EndpointInfo> {
  return new Map(
    obs.endpoints.map((e, i) => [
      e.subject,
      { anchor: anchorOf(i), address: sanitize(e.address), mx: e.mx.map(sanitize).join(', ') },
    ]),
  );
}

function coverage(obs: Observation): string {
  const eps = plural(obs.endpoints.length, 'endpoint');
  return obs.dns.implicit_mx ? `${eps} (implicit MX)` : `${eps} (${plural(obs.dns.mx.length, 'MX host')})`;
}

/**
 * Why nothing about the domain's servers could be tested, through no fault
 * of theirs: the resolver failed, or no endpoint could be probed (target
 * policy, a cut, no IPv6 route, port 25 blocked here). Null when something
 * could be tested, or when the domain's own DNS is the answer.
 */
export function untestableReason(obs: Observation): string | null {
  if (obs.dns.resolver_check?.conclusion === 'resolver')
    return `the DNS resolver ${resolverView(obs.dns)} failed, so the MX records could not be looked up`;
  if (obs.cut && obs.endpoints.length === 0 && obs.dns.mx_error?.code === 'TIMEOUT')
    return `${sanitize(obs.cut.message)} before the MX lookup was answered`;
  if (obs.endpoints.length === 0) return null;
  const reasons = obs.endpoints.map((e) => notProbedReason(e, obs));
  if (reasons.some((r) => r === null)) return null;
  return `no endpoint could be probed (${[...new Set(reasons)].map((r) => sanitize(r!)).join('; ')})`;
}

export interface Verdict {
  status: StatusValue;
  sentence: string;
}

/**
 * The headline: the worst status and one sentence. When nothing could be
 * tested for reasons of the checker's own, the verdict is UNKNOWN "could not
 * be tested" unless a confirmed problem (CRIT, ERROR) outranks it: a warning
 * about reverse DNS must not read as "receives mail, with reservations" when
 * no server was reached. `d` is the sanitized domain.
 */
function verdictOf(obs: Observation, d: string, states: readonly CheckState[]): Verdict {
  // No states means no rule ran: claiming OK would be a lie.
  if (states.length === 0) return { status: Status.UNKNOWN, sentence: `${d} was probed but no rules were evaluated.` };
  // Counted as the report lists them: the same finding on three endpoints is one problem to fix.
  const f = buildFindings(states, d, endpointInfo(obs));
  const items = [...f.fixes, ...f.untested, ...f.remarks];
  const worst = worstStatus(states);
  const untestable = untestableReason(obs);
  if (untestable !== null && severity(worst) < severity(Status.CRIT)) {
    const others = countFindings(
      items.filter((s) => s.status !== Status.UNKNOWN),
      worst === Status.UNKNOWN ? Status.WARN : worst,
    );
    return {
      status: Status.UNKNOWN,
      sentence: `${d} could not be tested: ${untestable}${others ? `; besides, ${others}` : ''}.`,
    };
  }
  if (obs.dns.null_mx && severity(worst) <= severity(Status.INFO))
    return { status: worst, sentence: `${d} publishes a null MX: it accepts no mail (RFC 7505).` };
  const n = countFindings(items, worst);
  const sentence: Record<StatusValue, string> = {
    [Status.OK]: `${d} receives mail correctly on ${coverage(obs)}.`,
    [Status.INFO]: `${d} receives mail correctly on ${coverage(obs)}: nothing to fix (${plural(f.remarks.length, 'remark')}).`,
    [Status.WARN]: `${d} receives mail, with reservations: ${n}.`,
    [Status.CRIT]: `${d} cannot receive mail reliably: ${n}.`,
    [Status.UNKNOWN]: `${d} could not be fully assessed: ${n}.`,
    [Status.ERROR]: `${d} could not be checked: ${n}.`,
  };
  return { status: worst, sentence: sentence[worst] };
}

/**
 * "14 of 16 checks passed, 1 with a remark.": a rule passed when every state
 * it gave is OK (with a remark: its worst is INFO). States without a rule
 * name count as their own check.
 */
function passedLine(states: readonly CheckState[]): string | null {
  if (states.length === 0) return null;
  const worst = new Map<string, StatusValue>();
  states.forEach((s, i) => {
    const rule = s.rule ?? `#${i}`;
    const seen = worst.get(rule);
    if (seen === undefined || severity(s.status) > severity(seen)) worst.set(rule, s.status);
  });
  const all = [...worst.values()];
  const ok = all.filter((w) => w === Status.OK).length;
  const remarked = all.filter((w) => w === Status.INFO).length;
  const checks = all.length === 1 ? 'check' : 'checks';
  return `${ok} of ${all.length} ${checks} passed${remarked > 0 ? `, ${remarked} with a remark` : ''}.`;
}

/** The verdict as one object for machines (the JSON output): the status, its name, and the sentence the report states. */
export interface VerdictSummary {
  status: StatusValue;
  status_name: string;
  summary: string;
}

export function verdictSummary(obs: Observation, states: readonly CheckState[]): VerdictSummary {
  const v = verdictOf(obs, sanitize(obs.domain), states);
  return { status: v.status, status_name: statusView(v.status).label, summary: v.sentence };
}

/** The verdict's status alone: what the CLI's exit status follows. */
export function verdictStatus(obs: Observation, states: readonly CheckState[]): StatusValue {
  return verdictOf(obs, sanitize(obs.domain), states).status;
}

export function buildReportView(obs: Observation, input: ReportInput): ReportViewModel {
  const { states } = input;
  const domain = sanitize(obs.domain);
  const related = parseRelatedTls(input.related, obs.collected_at);
  const findings = buildFindings(states, domain, endpointInfo(obs));
  const verdict = verdictOf(obs, domain, states);
  const checker = `${sanitize(obs.checker.name)} ${sanitize(obs.checker.version)}`;
  return {
    domain,
    title: `Inbound mail report for ${domain}`,
    checkedAt: sanitize(obs.collected_at),
    about: `checked ${sanitize(obs.collected_at)} · took ${duration(obs.duration_ms)} · ${checker} · port ${obs.options.port}`,
    verdict: { ...statusView(verdict.status), sentence: verdict.sentence },
    statesNote:
      input.evaluatedByReport && states.length > 0
        ? 'Rule states evaluated by this report from the observation.'
        : null,
    cutNote: cutNote(obs),
    fixes: findings.fixes,
    remarks: findings.remarks,
    untested: findings.untested,
    nothingToFix: findings.nothingToFix,
    passed: passedLine(states),
    rows: obs.endpoints.map((ep, i) => summaryRow(ep, i, states, domain, notProbedReason(ep, obs), obs.options.port)),
    noEndpoints: noEndpointReason(obs),
    endpoints: obs.endpoints.map((ep, i) =>
      endpointSection(ep, i, { obs, states, fixes: findings.bySubject, related, domain }),
    ),
    dns: dnsView(obs),
    egress: egressView(obs),
    relatedNotes: related.unattributed.map((p) => `A related TLS observation was ignored: ${sanitize(p.reason)}.`),
  };
}
