/**
 * One endpoint as the reports show it: a summary row (cells that read at a
 * glance) and a section with the evidence, built from the facts worded in
 * endpoint-facts.ts and the findings that concern the endpoint.
 */
import type { EndpointProbe, Observation, Transaction } from '../model/observation.js';
import { Status, severity, worstStatus, type CheckState } from '../model/status.js';
import { plural, sanitize } from '../model/text.js';
import type { RelatedTlsFacts, RelatedTlsIndex } from '../rules/related-tls.js';
import {
  certificateView,
  extensionList,
  heloFallback,
  isOpenRelay,
  pipelinedNote,
  ptrLines,
  relayed,
  retryLine,
  sessionOpened,
  starttlsLines,
  stopReason,
  timings,
  transactionOutcome,
  transactionView,
  transcript,
  transcriptNote,
  type CertificateView,
  type TranscriptLineView,
  type TransactionView,
} from './endpoint-facts.js';
import type { FixItem } from './findings.js';
import {
  NONE,
  duration,
  replyView,
  statusView,
  yesNo,
  type Cell,
  type KeyValue,
  type ReplyView,
  type StatusView,
} from './wording.js';

export interface SummaryRow {
  anchor: string;
  status: StatusView;
  mx: string;
  preference: string;
  address: string;
  /** The address, with its port when it is not the check's port ("[::1]:2525" for `--mx [::1]:2525`). */
  where: string;
  family: string;
  reachable: Cell;
  greeting: Cell;
  starttls: Cell;
  tlsVersion: Cell;
  /** STARTTLS and its TLS version in one cell, for a compact table: "TLSv1.3", "no STARTTLS", "failed". */
  tls: Cell;
  ptr: Cell;
  /** PTR and FCrDNS in a word or two, for a compact table: "ok", "none", "no FCrDNS". */
  ptrBrief: Cell;
  nullSender: Cell;
  postmaster: Cell;
  relay: Cell;
  openRelay: boolean;
}

export interface RelatedTlsView {
  ref: string;
  usable: boolean;
  source: string;
  /** Why it was not used, when it was not. */
  problem: string | null;
  facts: KeyValue[];
  findings: { status: StatusView; message: string }[];
}

export interface EndpointSection {
  anchor: string;
  subject: string;
  title: string;
  /** The MX names this address serves, and their preference: "mx1.example.com (preference 10)". */
  mx: string;
  family: string;
  open: boolean;
  status: StatusView;
  openRelay: boolean;
  findings: FixItem[];
  facts: KeyValue[];
  timings: KeyValue[];
  greeting: ReplyView | null;
  ehlo: ReplyView | null;
  helo: ReplyView | null;
  ehloTls: ReplyView | null;
  extensionsBefore: string[] | null;
  extensionsAfter: string[] | null;
  /** Null when the session never got far enough to see STARTTLS offered or not. */
  starttls: string[] | null;
  certificate: CertificateView | null;
  /** Whose TLS findings smtp.tls_quality used: the TLS checker's, or our own evaluation. */
  tlsSource: string | null;
  related: RelatedTlsView[];
  transactions: TransactionView[];
  pipelined: string | null;
  ptr: string[];
  /** Where the dialogue stopped early: "at greeting: timeout (…)". */
  stop: string | null;
  /** The first attempt, when this endpoint was tried a second time (a 421 greeting…). */
  retry: string | null;
  transcript: TranscriptLineView[];
  transcriptNote: string | null;
}

export function anchorOf(index: number): string {
  return `r-ep-${index}`;
}

/** The worst state naming the endpoint; with no state at all, nothing was judged, so UNKNOWN rather than OK. */
function endpointStatus(ep: EndpointProbe, states: readonly CheckState[]): StatusView {
  if (states.length === 0) return statusView(Status.UNKNOWN);
  // No state names this endpoint: every rule judged it fine (their OK states name the domain).
  return statusView(worstStatus(states.filter((s) => s.subject === ep.subject)));
}

function mxNames(ep: EndpointProbe, domain: string): string {
  return ep.mx.length > 0 ? ep.mx.map(sanitize).join(', ') : `${domain} (implicit)`;
}

// ---------------------------------------------------------------- summary row

function reachable(ep: EndpointProbe, notProbed: string | null): Cell {
  if (ep.connected) return { text: `yes, ${duration(ep.timings.connect_ms)}`, tone: 'ok' };
  if (notProbed !== null) return { text: notProbed, tone: 'muted' };
  if (ep.error?.code === 'connect.unreachable') return { text: 'no route from the checker', tone: 'muted' };
  if (ep.error?.code === 'connect.refused') return { text: 'no: refused', tone: 'bad' };
  if (ep.error?.code === 'connect.timeout') return { text: 'no: timed out', tone: 'bad' };
  return { text: ep.error ? `no: ${sanitize(ep.error.message)}` : 'no', tone: 'bad' };
}

function greetingCell(ep: EndpointProbe): Cell {
  if (!ep.connected) return { text: NONE, tone: 'muted' };
  if (!ep.greeting) return { text: 'none', tone: 'bad' };
  const host = ep.greeting_host ? ` ${sanitize(ep.greeting_host)}` : '';
  const code = ep.greeting.code;
  return { text: `${code}${host}`, tone: code === 220 ? 'ok' : code >= 400 && code < 500 ? 'warn' : 'bad' };
}

function starttlsCell(ep: EndpointProbe): Cell {
  if (!sessionOpened(ep)) return { text: NONE, tone: 'muted' };
  const st = ep.starttls;
  if (!st.offered) return { text: 'not offered', tone: 'bad' };
  if (st.ok) return { text: 'yes', tone: 'ok' };
  if (!st.attempted) return { text: 'offered, not tried', tone: 'muted' };
  return { text: 'failed', tone: 'bad' };
}

function tlsVersionCell(ep: EndpointProbe): Cell {
  const v = ep.starttls.tls?.version;
  if (!v) return { text: NONE, tone: 'muted' };
  return { text: sanitize(v), tone: /^TLSv1\.[23]$/.test(v) ? 'ok' : 'warn' };
}

function tlsCell(ep: EndpointProbe): Cell {
  const starttls = starttlsCell(ep);
  if (ep.starttls.ok) return tlsVersionCell(ep);
  return starttls.text === 'not offered' ? { text: 'no STARTTLS', tone: 'bad' } : starttls;
}

function ptrBriefCell(ep: EndpointProbe): Cell {
  const r = ep.reverse_dns;
  if (r.ptr_error) return { text: `failed (${r.ptr_error.code})`, tone: 'warn' };
  if (r.ptr.length === 0) return { text: 'none', tone: 'warn' };
  return r.fcrdns ? { text: 'ok', tone: 'ok' } : { text: 'no FCrDNS', tone: 'warn' };
}

function ptrCell(ep: EndpointProbe): Cell {
  const r = ep.reverse_dns;
  if (r.ptr_error) return { text: `lookup failed (${r.ptr_error.code})`, tone: 'warn' };
  if (r.ptr.length === 0) return { text: 'none', tone: 'warn' };
  const name = sanitize(r.ptr[0]!) + (r.ptr.length > 1 ? ` +${r.ptr.length - 1}` : '');
  return r.fcrdns ? { text: `${name} (FCrDNS ok)`, tone: 'ok' } : { text: `${name} (no FCrDNS)`, tone: 'warn' };
}

function txCell(ep: EndpointProbe, kind: Transaction['kind']): Cell {
  const t = ep.transactions.find((x) => x.kind === kind);
  // Never connected: the probe was not "skipped", it was never reached.
  if (!t || !ep.connected) return { text: NONE, tone: 'muted' };
  return relayed(t) ? { text: 'OPEN RELAY', tone: 'bad' } : transactionOutcome(t);
}

/**
 * `notProbed`: why the checker could not test this endpoint through no
 * fault of the server (rules/unprobed.ts), so its cells never read as the
 * server's failure.
 */
export function summaryRow(
  ep: EndpointProbe,
  index: number,
  states: readonly CheckState[],
  domain: string,
  notProbed: string | null = null,
  checkPort: number = ep.port,
): SummaryRow {
  const address = sanitize(ep.address);
  return {
    anchor: anchorOf(index),
    status: endpointStatus(ep, states),
    mx: mxNames(ep, domain),
    preference: String(ep.preference),
    address,
    where: ep.port === checkPort ? address : sanitize(ep.subject),
    family: `IPv${ep.family}`,
    reachable: reachable(ep, notProbed),
    greeting: greetingCell(ep),
    starttls: starttlsCell(ep),
    tlsVersion: tlsVersionCell(ep),
    tls: tlsCell(ep),
    ptr: ptrCell(ep),
    ptrBrief: ptrBriefCell(ep),
    nullSender: txCell(ep, 'null_sender'),
    postmaster: txCell(ep, 'postmaster'),
    relay: txCell(ep, 'open_relay'),
    openRelay: isOpenRelay(ep),
  };
}

// ------------------------------------------------------------- related TLS

const FACT_LABELS: [keyof RelatedTlsFacts, string][] = [
  ['tls_version', 'TLS version'],
  ['cipher', 'cipher'],
  ['chain_valid', 'chain valid'],
  ['chain_error', 'chain error'],
  ['hostname_match', 'host name matches'],
  ['not_after', 'expires'],
  ['subject', 'subject'],
  ['issuer', 'issuer'],
];

function relatedViews(ep: EndpointProbe, related: RelatedTlsIndex): RelatedTlsView[] {
  const cov = related.forEndpoint(ep);
  const source = (id: string | null, at: string | null): string =>
    `TLS checker${id ? ` "${sanitize(id)}"` : ''}, collected ${at ? sanitize(at) : 'at an unknown time'}`;
  return [
    ...cov.usable.map((p) => ({
      ref: sanitize(p.ref),
      usable: true,
      source: source(p.checker_id, p.collected_at),
      problem: p.skipped_issues > 0 ? `${plural(p.skipped_issues, 'issue')} without a message or code skipped` : null,
      facts: FACT_LABELS.filter(([k]) => p.facts[k] !== null).map(([k, label]) => ({
        label,
        value: yesNo(p.facts[k]),
      })),
      findings: p.findings.map((f) => ({ status: statusView(f.status), message: sanitize(f.message) })),
    })),
    ...cov.unusable.map((p) => ({
      ref: sanitize(p.ref),
      usable: false,
      source: source(p.checker_id, p.collected_at),
      problem: `not used: ${sanitize(p.reason)}`,
      facts: [],
      findings: [],
    })),
  ];
}

function tlsSource(ep: EndpointProbe, related: RelatedTlsIndex): string | null {
  if (!ep.starttls.ok || !ep.starttls.tls) return null;
  return related.forEndpoint(ep).usable.length > 0
    ? "the TLS checker's findings (related observation)"
    : 'our own evaluation of the certificate seen on this connection';
}

// ----------------------------------------------------------------- section

export interface SectionContext {
  obs: Observation;
  states: readonly CheckState[];
  /** Every finding about one subject, ungrouped, in the one order: the section lists those about its endpoint. */
  fixes: readonly FixItem[];
  related: RelatedTlsIndex;
  domain: string;
}

export function endpointSection(ep: EndpointProbe, index: number, ctx: SectionContext): EndpointSection {
  const mine = ctx.states.filter((s) => s.subject === ep.subject);
  const mx = `${mxNames(ep, ctx.domain)} (preference ${ep.preference})`;
  const family = `IPv${ep.family}`;
  return {
    anchor: anchorOf(index),
    subject: sanitize(ep.subject),
    title: `${sanitize(ep.subject)} · ${mxNames(ep, ctx.domain)} · ${family}`,
    mx,
    family,
    // Open when something needs attention (WARN, CRIT, or could not be decided); a remark (INFO) alone keeps it closed.
    open: mine.some((s) => severity(s.status) > severity(Status.INFO)),
    status: endpointStatus(ep, ctx.states),
    openRelay: isOpenRelay(ep),
    findings: ctx.fixes.filter((f) => f.subject === sanitize(ep.subject)),
    facts: [
      { label: 'MX', value: mx },
      { label: 'address', value: `${ep.address} (${family}), port ${ep.port}` },
      { label: 'probe started', value: sanitize(ep.started_at) },
    ],
    timings: timings(ep),
    greeting: ep.greeting ? replyView(ep.greeting) : null,
    ehlo: ep.ehlo ? replyView(ep.ehlo) : null,
    helo: heloFallback(ep),
    ehloTls: ep.ehlo_tls ? replyView(ep.ehlo_tls) : null,
    extensionsBefore: extensionList(ep.extensions),
    extensionsAfter: extensionList(ep.extensions_tls),
    starttls: starttlsLines(ep),
    certificate: certificateView(ep, ctx.obs.collected_at),
    tlsSource: tlsSource(ep, ctx.related),
    related: relatedViews(ep, ctx.related),
    transactions: ep.transactions.map(transactionView),
    pipelined: pipelinedNote(ep),
    ptr: ptrLines(ep),
    stop: stopReason(ep),
    retry: retryLine(ep),
    transcript: transcript(ep),
    transcriptNote: transcriptNote(ep),
  };
}
