/**
 * The report's view model: everything the HTML page shows, computed from
 * (observation, states?, related?) by a pure function. Sorting, grouping and
 * wording happen here so tests can check them; the JSX step only lays out
 * and escapes.
 */
import { sanitize } from './text/render-text.js';
import type {
  CertificateInfo,
  EndpointProbe,
  Extensions,
  MxTarget,
  Observation,
  Reply,
  Transaction,
} from '../model/observation.js';
import { parseRelatedTls, type RelatedTlsFacts, type RelatedTlsIndex } from '../rules/related-tls.js';
import { evaluate } from '../rules/index.js';
import { compareSubjects } from '../model/order.js';
import {
  STATUS_NAMES,
  Status,
  countFindings,
  severity,
  worstStatus,
  type CheckState,
  type StatusValue,
} from '../model/status.js';

export interface ReportInput {
  states?: readonly CheckState[] | undefined;
  related?: Readonly<Record<string, readonly unknown[]>> | undefined;
}

/** How a cell reads at a glance; the text always says it too. */
export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

export interface Cell {
  text: string;
  tone: Tone;
}

export interface StatusView {
  status: StatusValue;
  /** "CRIT", "WARN"…: the status as text, never colour alone. */
  label: string;
  /** CSS-safe lower-case name: "crit", "warn"… */
  key: string;
}

export interface FixItem extends StatusView {
  subject: string;
  message: string;
  fix: string[];
  code: string;
  rule: string;
  /** Every rule that said exactly this (a null MX makes a dozen rules say the same thing). */
  rules: string[];
  /** Anchor of the endpoint section this finding concerns, when it concerns one. */
  anchor: string | null;
}

export interface SummaryRow {
  anchor: string;
  status: StatusView;
  mx: string;
  preference: string;
  address: string;
  family: string;
  reachable: Cell;
  greeting: Cell;
  starttls: Cell;
  tlsVersion: Cell;
  ptr: Cell;
  nullSender: Cell;
  postmaster: Cell;
  relay: Cell;
  openRelay: boolean;
}

export interface KeyValue {
  label: string;
  value: string;
}

export interface TransactionView {
  label: string;
  outcome: Cell;
  command: string;
  replies: { command: string; lines: string[] }[];
  note: string | null;
}

export interface CertificateView {
  subject: string;
  issuer: string;
  names: string[];
  validity: string;
  expiry: Cell;
  trust: Cell;
  key: string | null;
  sni: string | null;
  fingerprint: string;
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

export interface TranscriptLineView {
  time: string;
  dir: 'C' | 'S' | '*';
  /** "c", "s" or "e" (event): CSS-safe. */
  kind: 'c' | 's' | 'e';
  text: string;
}

export interface EndpointSection {
  anchor: string;
  subject: string;
  title: string;
  open: boolean;
  status: StatusView;
  openRelay: boolean;
  findings: FixItem[];
  facts: KeyValue[];
  timings: KeyValue[];
  greeting: string[];
  extensionsBefore: string[] | null;
  extensionsAfter: string[] | null;
  starttls: string[];
  certificate: CertificateView | null;
  /** Whose TLS findings smtp.tls_quality used: the TLS checker's, or our own evaluation. */
  tlsSource: string | null;
  related: RelatedTlsView[];
  transactions: TransactionView[];
  ptr: string[];
  stop: string | null;
  transcript: TranscriptLineView[];
  transcriptTruncated: boolean;
}

export interface DnsView {
  source: string;
  notes: { text: string; tone: Tone }[];
  targets: { preference: string; name: string; addresses: string; notes: string[]; errors: string[] }[];
}

export interface ReportViewModel {
  domain: string;
  title: string;
  checkedAt: string;
  about: string;
  verdict: StatusView & { sentence: string };
  fixes: FixItem[];
  /** "Could not be tested" consequences of a problem listed in fixes. */
  untested: FixItem[];
  statesGiven: boolean;
  rows: SummaryRow[];
  noEndpoints: string | null;
  endpoints: EndpointSection[];
  dns: DnsView;
  relatedNotes: string[];
}

// ------------------------------------------------------------------ helpers

function statusView(status: StatusValue): StatusView {
  const label = STATUS_NAMES[status] ?? 'UNKNOWN';
  return { status, label, key: label.toLowerCase() };
}

/** Server-supplied text made inert for display: controls and bidi overrides become visible escapes. */
const clean = (s: string): string => sanitize(s);

function ms(n: number | null): string {
  return n === null ? '—' : `${Math.round(n)} ms`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function firstLine(r: Reply | null): string {
  if (!r) return '—';
  return clean(r.lines[0] ?? String(r.code));
}

function fixHints(s: CheckState): string[] {
  const fix = s.meta?.['fix'];
  if (typeof fix === 'string') return [fix];
  if (Array.isArray(fix)) return fix.filter((f): f is string => typeof f === 'string');
  return [];
}

/** "Could not be tested" states that only follow from a problem reported elsewhere (as the terminal report does). */
function isConsequence(s: CheckState): boolean {
  return s.status === Status.UNKNOWN && /\.(?:[a-z_]+_)?untested$/.test(s.code ?? '');
}

function byFinding(a: FixItem, b: FixItem): number {
  return (
    severity(b.status) - severity(a.status) ||
    compareSubjects(a.subject, b.subject) ||
    (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)
  );
}

const KIND_LABEL: Record<Transaction['kind'], string> = {
  null_sender: 'Null sender',
  postmaster: 'Postmaster',
  open_relay: 'Open relay',
};

// ------------------------------------------------------------------ verdict

function verdictSentence(obs: Observation, states: readonly CheckState[], worst: StatusValue): string {
  const d = obs.domain;
  if (obs.dns.null_mx && severity(worst) <= severity(Status.INFO))
    return `${d} publishes a null MX: it accepts no mail (RFC 7505).`;
  const eps = obs.dns.implicit_mx
    ? `${plural(obs.endpoints.length, 'endpoint')} (implicit MX)`
    : `${plural(obs.endpoints.length, 'endpoint')} (${plural(obs.dns.mx.length, 'MX host')})`;
  const n = countFindings(states, worst);
  switch (worst) {
    case Status.OK:
      return `${d} receives mail correctly on ${eps}.`;
    case Status.INFO:
      return `${d} receives mail correctly on ${eps}; ${n}.`;
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

// ---------------------------------------------------------------- endpoints

function transactionOutcome(t: Transaction): Cell {
  if (t.kind === 'open_relay') {
    if (t.outcome === 'accepted') return { text: 'OPEN RELAY: accepted', tone: 'bad' };
    if (t.outcome === 'rejected') return { text: 'refused', tone: 'ok' };
  } else {
    if (t.outcome === 'accepted') return { text: 'accepted', tone: 'ok' };
    if (t.outcome === 'rejected') return { text: 'rejected', tone: 'bad' };
  }
  if (t.outcome === 'tempfail') return { text: 'temporary failure (4xx)', tone: 'warn' };
  if (t.outcome === 'error') return { text: 'no answer', tone: 'warn' };
  return { text: 'not run', tone: 'muted' };
}

function txCell(ep: EndpointProbe, kind: Transaction['kind']): Cell {
  const t = ep.transactions.find((x) => x.kind === kind);
  if (!t) return { text: '—', tone: 'muted' };
  const c = transactionOutcome(t);
  return kind === 'open_relay' && t.outcome === 'accepted' ? { text: 'OPEN RELAY', tone: 'bad' } : c;
}

function isOpenRelay(ep: EndpointProbe): boolean {
  return ep.transactions.some((t) => t.kind === 'open_relay' && t.outcome === 'accepted');
}

function reachable(ep: EndpointProbe): Cell {
  if (ep.connected) return { text: `yes, ${ms(ep.timings.connect_ms)}`, tone: 'ok' };
  if (ep.error?.code === 'connect.unreachable') return { text: 'no route from the checker', tone: 'muted' };
  if (ep.error?.code === 'connect.refused') return { text: 'no: refused', tone: 'bad' };
  if (ep.error?.code === 'connect.timeout') return { text: 'no: timed out', tone: 'bad' };
  return { text: ep.error ? `no: ${clean(ep.error.message)}` : 'no', tone: 'bad' };
}

function greetingCell(ep: EndpointProbe): Cell {
  if (!ep.connected) return { text: '—', tone: 'muted' };
  if (!ep.greeting) return { text: 'none', tone: 'bad' };
  const host = ep.greeting_host ? ` ${clean(ep.greeting_host)}` : '';
  return {
    text: `${ep.greeting.code}${host}`,
    tone: ep.greeting.code === 220 ? 'ok' : ep.greeting.code >= 400 && ep.greeting.code < 500 ? 'warn' : 'bad',
  };
}

function starttlsCell(ep: EndpointProbe): Cell {
  if (!ep.connected || (!ep.ehlo && !ep.helo)) return { text: '—', tone: 'muted' };
  const st = ep.starttls;
  if (!st.offered) return { text: 'not offered', tone: 'bad' };
  if (st.ok) return { text: 'yes', tone: 'ok' };
  if (!st.attempted) return { text: 'offered, not tried', tone: 'muted' };
  return { text: 'failed', tone: 'bad' };
}

function tlsVersionCell(ep: EndpointProbe): Cell {
  const v = ep.starttls.tls?.version;
  if (!v) return { text: '—', tone: 'muted' };
  return { text: clean(v), tone: /^TLSv1\.[23]$/.test(v) ? 'ok' : 'warn' };
}

function ptrCell(ep: EndpointProbe): Cell {
  const r = ep.reverse_dns;
  if (r.ptr_error) return { text: `lookup failed (${r.ptr_error.code})`, tone: 'warn' };
  if (r.ptr.length === 0) return { text: 'none', tone: 'warn' };
  const name = clean(r.ptr[0]!) + (r.ptr.length > 1 ? ` +${r.ptr.length - 1}` : '');
  return r.fcrdns ? { text: `${name} (FCrDNS ok)`, tone: 'ok' } : { text: `${name} (no FCrDNS)`, tone: 'warn' };
}

function extensionList(e: Extensions | null): string[] | null {
  if (!e) return null;
  return e.keywords.map((k) => clean(e.params[k]?.length ? `${k} ${e.params[k]!.join(' ')}` : k));
}

function dn(name: Record<string, string>): string {
  return clean(
    Object.entries(name)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ') || '(empty)',
  );
}

function certificateView(ep: EndpointProbe, checkedAt: string): CertificateView | null {
  const tls = ep.starttls.tls;
  const leaf: CertificateInfo | undefined = tls?.chain[0];
  if (!tls || !leaf) return null;
  const days = Math.floor((Date.parse(leaf.valid_to) - Date.parse(checkedAt)) / 86_400_000);
  const expiry: Cell = Number.isNaN(days)
    ? { text: `expires ${clean(leaf.valid_to)}`, tone: 'muted' }
    : days < 0
      ? { text: `expired ${-days} days before the check`, tone: 'bad' }
      : { text: `${days} days left at the check`, tone: days < 14 ? 'warn' : 'ok' };
  return {
    subject: dn(leaf.subject),
    issuer: dn(leaf.issuer),
    names: leaf.subject_alt_names.map(clean),
    validity: `${clean(leaf.valid_from.slice(0, 10))} → ${clean(leaf.valid_to.slice(0, 10))}`,
    expiry,
    trust: tls.chain_trusted
      ? { text: 'trusted chain', tone: 'ok' }
      : { text: `untrusted${tls.chain_error ? `: ${clean(tls.chain_error)}` : ''}`, tone: 'warn' },
    key: leaf.key_type ? `${clean(leaf.key_type)}${leaf.key_bits ? ` ${leaf.key_bits} bits` : ''}` : null,
    sni: tls.sni ? clean(tls.sni) : null,
    fingerprint: clean(leaf.fingerprint_sha256),
  };
}

function starttlsLines(ep: EndpointProbe): string[] {
  const st = ep.starttls;
  if (!ep.connected || (!ep.ehlo && !ep.helo)) return ['not reached'];
  if (!st.offered) return ['not offered: mail to this endpoint travels in clear text'];
  if (!st.attempted) return ['offered, not attempted'];
  const out: string[] = [];
  if (st.reply && st.reply.code !== 220) out.push(`refused: ${firstLine(st.reply)}`);
  else if (st.ok && st.tls) {
    const eph = st.tls.ephemeral
      ? `, key exchange ${[st.tls.ephemeral.type, st.tls.ephemeral.name, st.tls.ephemeral.bits].filter((x) => x !== null).join(' ')}`
      : '';
    out.push(`handshake ok in ${ms(ep.timings.tls_ms)}: ${clean(st.tls.version)}, ${clean(st.tls.cipher)}${eph}`);
  } else out.push(`failed${st.error ? `: ${st.error.code} (${clean(st.error.message)})` : ''}`);
  if (st.discarded_bytes > 0)
    out.push(
      `${st.discarded_bytes} plaintext bytes sent after the 220 were discarded (injection attempt or server bug)`,
    );
  return out;
}

function ptrLines(ep: EndpointProbe): string[] {
  const r = ep.reverse_dns;
  if (r.ptr_error) return [`PTR lookup failed: ${r.ptr_error.code} (${clean(r.ptr_error.message)})`];
  if (r.ptr.length === 0) return ['no PTR record'];
  const lines = r.forward.map((f) => {
    const n = clean(f.name);
    if (f.error) return `${n}: forward lookup failed (${f.error.code})`;
    if (f.addresses.includes(ep.address)) return `${n}: forward-confirmed`;
    return `${n}: resolves to ${f.addresses.map(clean).join(', ') || 'nothing'}, not this address`;
  });
  for (const p of r.ptr) if (!r.forward.some((f) => f.name === p)) lines.push(`${clean(p)}: not checked forward`);
  if (!r.fcrdns) lines.push('forward-confirmed reverse DNS fails');
  return lines;
}

function transactionView(t: Transaction): TransactionView {
  const replies: TransactionView['replies'] = [];
  if (t.mail) replies.push({ command: `MAIL FROM:<${clean(t.mail_from)}>`, lines: t.mail.lines.map(clean) });
  if (t.rcpt) replies.push({ command: `RCPT TO:<${clean(t.rcpt_to)}>`, lines: t.rcpt.lines.map(clean) });
  if (t.rset) replies.push({ command: 'RSET', lines: t.rset.lines.map(clean) });
  return {
    label: KIND_LABEL[t.kind],
    outcome: transactionOutcome(t),
    command: `MAIL FROM:<${clean(t.mail_from)}> RCPT TO:<${clean(t.rcpt_to)}>`,
    replies,
    note: t.note ? clean(t.note) : null,
  };
}

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
    `TLS checker${id ? ` "${clean(id)}"` : ''}, collected ${at ?? 'at an unknown time'}`;
  return [
    ...cov.usable.map((p) => ({
      ref: clean(p.ref),
      usable: true,
      source: source(p.checker_id, p.collected_at),
      problem: p.skipped_issues > 0 ? `${plural(p.skipped_issues, 'issue')} without a message or code skipped` : null,
      facts: FACT_LABELS.filter(([k]) => p.facts[k] !== null).map(([k, label]) => ({
        label,
        value: yesNo(p.facts[k]),
      })),
      findings: p.findings.map((f) => ({ status: statusView(f.status), message: clean(f.message) })),
    })),
    ...cov.unusable.map((p) => ({
      ref: clean(p.ref),
      usable: false,
      source: source(p.checker_id, p.collected_at),
      problem: `not used: ${clean(p.reason)}`,
      facts: [],
      findings: [],
    })),
  ];
}

function yesNo(v: string | boolean | null): string {
  return v === true ? 'yes' : v === false ? 'no' : clean(String(v));
}

function tlsSource(ep: EndpointProbe, related: RelatedTlsIndex): string | null {
  if (!ep.starttls.ok || !ep.starttls.tls) return null;
  return related.forEndpoint(ep).usable.length > 0
    ? "the TLS checker's findings (related observation)"
    : 'our own evaluation of the certificate seen on this connection';
}

function transcriptLines(ep: EndpointProbe): TranscriptLineView[] {
  return ep.transcript.map((l) => ({
    time: `+${Math.round(l.t)} ms`,
    dir: l.dir,
    kind: l.dir === 'C' ? 'c' : l.dir === 'S' ? 's' : 'e',
    text: clean(l.text),
  }));
}

function endpointSection(
  ep: EndpointProbe,
  index: number,
  fixes: FixItem[],
  states: readonly CheckState[],
  obs: Observation,
  related: RelatedTlsIndex,
): EndpointSection {
  const mine = states.filter((s) => s.subject === ep.subject);
  // Open when something needs attention (WARN, CRIT, or could not be decided); a remark (INFO) alone keeps it closed.
  const needsAttention = mine.some((s) => severity(s.status) > severity(Status.INFO));
  const t = ep.timings;
  const mx = ep.mx.length > 0 ? ep.mx.map(clean).join(', ') : obs.domain;
  return {
    anchor: anchorOf(index),
    subject: ep.subject,
    title: `${ep.subject} · ${mx} · IPv${ep.family}`,
    open: needsAttention,
    // No state names this endpoint: every rule judged it fine (their OK states name the domain).
    status: statusView(worstStatus(mine)),
    openRelay: isOpenRelay(ep),
    findings: fixes.filter((f) => f.subject === ep.subject),
    facts: [
      { label: 'MX', value: `${mx} (preference ${ep.preference})` },
      { label: 'address', value: `${ep.address} (IPv${ep.family}), port ${ep.port}` },
      { label: 'probe started', value: ep.started_at },
    ],
    timings: [
      { label: 'connect', value: ms(t.connect_ms) },
      { label: 'greeting', value: ms(t.greeting_ms) },
      { label: 'EHLO', value: ms(t.ehlo_ms) },
      { label: 'TLS handshake', value: ms(t.tls_ms) },
      { label: 'total', value: ms(t.total_ms) },
    ],
    greeting: ep.greeting ? ep.greeting.lines.map(clean) : [],
    extensionsBefore: extensionList(ep.extensions),
    extensionsAfter: extensionList(ep.extensions_tls),
    starttls: starttlsLines(ep),
    certificate: certificateView(ep, obs.collected_at),
    tlsSource: tlsSource(ep, related),
    related: relatedViews(ep, related),
    transactions: ep.transactions.map(transactionView),
    ptr: ptrLines(ep),
    stop: ep.error ? `stopped at ${ep.error.phase}: ${ep.error.code} (${clean(ep.error.message)})` : null,
    transcript: transcriptLines(ep),
    transcriptTruncated: ep.transcript_truncated,
  };
}

export function anchorOf(index: number): string {
  return `r-ep-${index}`;
}

// ---------------------------------------------------------------------- DNS

function dnsView(obs: Observation): DnsView {
  const dns = obs.dns;
  const notes: DnsView['notes'] = [];
  if (dns.mx_error)
    notes.push({ text: `MX lookup failed: ${dns.mx_error.code} (${clean(dns.mx_error.message)})`, tone: 'bad' });
  if (dns.null_mx)
    notes.push({ text: 'Null MX (MX 0 .): the domain declares that it accepts no mail (RFC 7505).', tone: 'info' });
  else if (dns.implicit_mx)
    notes.push({
      text: "No MX record: the domain's own addresses serve as implicit MX (RFC 5321 §5.1).",
      tone: 'warn',
    });
  else if (dns.mx.length === 0 && !dns.mx_error)
    notes.push({ text: 'No MX record and no address for the domain.', tone: 'bad' });
  const target = (t: MxTarget): DnsView['targets'][number] => {
    const tnotes: string[] = [];
    if (t.implicit) tnotes.push('implicit MX: the domain itself');
    if (t.ip_literal) tnotes.push('IP literal, not a host name (RFC 5321 §5.1)');
    if (t.cname_chain.length > 0)
      tnotes.push(`CNAME → ${t.cname_chain.map(clean).join(' → ')} (RFC 5321 §5.1: MX targets must not be aliases)`);
    return {
      preference: String(t.preference),
      name: clean(t.name),
      addresses: [...t.ipv4, ...t.ipv6].join(', ') || (t.ip_literal ? '' : 'no address'),
      notes: tnotes,
      errors: t.errors.map((e) => `${e.rrtype} ${clean(e.name)}: ${e.code} (${clean(e.message)})`),
    };
  };
  return {
    source: dns.source === 'service' ? 'MX set from the host (service definition)' : 'MX set from a live DNS lookup',
    notes,
    targets: dns.mx.map(target),
  };
}

function noEndpointReason(obs: Observation): string | null {
  if (obs.endpoints.length > 0) return null;
  if (obs.dns.null_mx) return 'No endpoint probed: a null MX means there is nothing to probe.';
  if (obs.dns.mx_error) return 'No endpoint probed: the MX lookup failed.';
  return 'No endpoint probed: no MX target resolved to an address.';
}

// --------------------------------------------------------------------- main

/**
 * Builds the view model. Without states (absent or empty: every rule yields
 * at least one state, so an empty list cannot be an evaluation), the rules
 * are evaluated here, with the related observations.
 */
export function buildReportView(obs: Observation, input: ReportInput = {}): ReportViewModel {
  const statesGiven = (input.states?.length ?? 0) > 0;
  const states: readonly CheckState[] = statesGiven
    ? input.states!
    : evaluate(obs, input.related ? { related: input.related } : {});
  const related = parseRelatedTls(input.related, obs.collected_at);
  const anchors = new Map(obs.endpoints.map((e, i) => [e.subject, anchorOf(i)]));
  const items = states
    .filter((s) => s.status !== Status.OK)
    .map((s): FixItem => ({
      ...statusView(s.status),
      subject: clean(s.subject ?? obs.domain),
      message: clean(s.message),
      fix: fixHints(s).map(clean),
      code: s.code ?? s.rule ?? 'unnamed',
      rule: s.rule ?? '',
      rules: s.rule ? [s.rule] : [],
      anchor: anchors.get(s.subject ?? '') ?? null,
    }))
    .reduce<FixItem[]>((out, f) => {
      const same = out.find(
        (o) => o.status === f.status && o.code === f.code && o.subject === f.subject && o.message === f.message,
      );
      if (same) same.rules.push(...f.rules.filter((r) => !same.rules.includes(r)));
      else out.push(f);
      return out;
    }, []);
  const consequence = new Set(states.filter(isConsequence).map((s) => `${s.rule}|${s.code}|${s.subject}`));
  const isCons = (f: FixItem): boolean => consequence.has(`${f.rule}|${f.code}|${f.subject}`);
  const fixes = items.filter((f) => !isCons(f)).sort(byFinding);
  const untested = items.filter(isCons).sort(byFinding);
  const worst = worstStatus(states);
  const rows = obs.endpoints.map((ep, i): SummaryRow => {
    const mine = states.filter((s) => s.subject === ep.subject);
    return {
      anchor: anchorOf(i),
      status: statusView(worstStatus(mine)),
      mx: ep.mx.length > 0 ? ep.mx.map(clean).join(', ') : `${obs.domain} (implicit)`,
      preference: String(ep.preference),
      address: ep.address,
      family: `IPv${ep.family}`,
      reachable: reachable(ep),
      greeting: greetingCell(ep),
      starttls: starttlsCell(ep),
      tlsVersion: tlsVersionCell(ep),
      ptr: ptrCell(ep),
      nullSender: txCell(ep, 'null_sender'),
      postmaster: txCell(ep, 'postmaster'),
      relay: txCell(ep, 'open_relay'),
      openRelay: isOpenRelay(ep),
    };
  });
  const relatedNotes = related.unattributed.map((p) => `A related TLS observation was ignored: ${p.reason}.`);
  const domain = clean(obs.domain);
  return {
    domain,
    title: `Inbound mail report for ${domain}`,
    checkedAt: obs.collected_at,
    about: `checked ${obs.collected_at} · took ${ms(obs.duration_ms)} · ${clean(obs.checker.name)} ${clean(obs.checker.version)} · port ${obs.options.port}`,
    verdict: { ...statusView(worst), sentence: clean(verdictSentence({ ...obs, domain }, states, worst)) },
    fixes,
    untested,
    statesGiven,
    rows,
    noEndpoints: noEndpointReason(obs),
    endpoints: obs.endpoints.map((ep, i) => endpointSection(ep, i, fixes, states, obs, related)),
    dns: dnsView(obs),
    relatedNotes,
  };
}
