/**
 * The CLI's default report: what a mail operator reads top to bottom in a
 * terminal. Verdict, then what to fix, then the evidence (DNS, one block per
 * endpoint). The JSON output carries the full transcript; this shows enough
 * of it to see why.
 *
 * Everything from the observation and the states is untrusted text (banners,
 * reply lines, PTR names): lines are built as segments and every segment is
 * sanitized in one place, `paint()`, so no path can forget it.
 */
import type {
  CertificateInfo,
  DnsFailure,
  EndpointProbe,
  Extensions,
  MxTarget,
  Observation,
  Reply,
  Transaction,
} from '../../model/observation.js';
import {
  STATUS_NAMES,
  Status,
  countFindings,
  severity,
  worstStatus,
  type CheckState,
  type StatusValue,
} from '../../model/status.js';

export interface RenderTextOptions {
  color: boolean;
  /** Columns for wrapping prose and clipping server lines; 100 when absent. */
  width?: number;
}

const DEFAULT_WIDTH = 100;
/** Below this, wrapping makes prose unreadable; clip rather than squeeze. */
const MIN_WIDTH = 40;
/** Transcript entries shown when a dialogue stopped early: the last exchange; the JSON has the rest. */
const FAILURE_TAIL_LINES = 6;
/** Width of the status column: "UNKNOWN" is the longest name. */
const TAG_WIDTH = 7;
const INDENT = '  ';
/** Findings' message and fix lines align under the subject, after "  TAG     ". */
const FINDING_INDENT = ' '.repeat(INDENT.length + TAG_WIDTH + 2);

type Style = 'bold' | StatusValue;
type Segment = string | { text: string; style: Style };
type Line = Segment[];

// Red for what breaks mail, yellow for what might, cyan for remarks, magenta
// for "could not tell" (distinct from every verdict colour).
const ANSI: Record<Style, string> = {
  bold: '1',
  [Status.ERROR]: '1;31',
  [Status.CRIT]: '31',
  [Status.WARN]: '33',
  [Status.INFO]: '36',
  [Status.OK]: '32',
  [Status.UNKNOWN]: '35',
};

/**
 * Makes untrusted text inert on a terminal: C0 and C1 controls, DEL and ESC
 * become visible `\xNN` escapes (a banner cannot clear the screen, move the
 * cursor or overwrite a line with CR), and bidi overrides and line separators
 * become `\uNNNN` (they reorder or split what is displayed). Idempotent.
 */
export function sanitize(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(
      /[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
}

export function renderText(obs: Observation, states: CheckState[], opts: RenderTextOptions): string {
  const width = Math.max(MIN_WIDTH, opts.width ?? DEFAULT_WIDTH);
  const lines: Line[] = [
    ...verdict(obs, states),
    [],
    ...whatToFix(obs, states, width),
    [],
    ...withGap(notTested(states, width)),
    ...dnsSection(obs),
    ...obs.endpoints.flatMap((ep) => [[], ...endpointBlock(ep, states, obs.collected_at, width)]),
  ];
  if (obs.endpoints.length === 0) lines.push([], [heading('Endpoints')], [INDENT + noEndpointReason(obs)]);
  return lines.map((l) => paint(l, opts.color).trimEnd()).join('\n') + '\n';
}

function paint(line: Line, color: boolean): string {
  return line
    .map((seg) => {
      if (typeof seg === 'string') return sanitize(seg);
      const text = sanitize(seg.text);
      return color ? `\x1b[${ANSI[seg.style]}m${text}\x1b[0m` : text;
    })
    .join('');
}

const heading = (text: string): Segment => ({ text, style: 'bold' });

/** The status as text, always, padded so columns line up whether coloured or not. */
function tag(status: StatusValue, pad = true): Segment[] {
  const name = STATUS_NAMES[status];
  return [{ text: name, style: status }, pad ? ' '.repeat(TAG_WIDTH - name.length) : ''];
}

// ---------------------------------------------------------------- verdict

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function coverage(obs: Observation): string {
  const eps = plural(obs.endpoints.length, 'endpoint', 'endpoints');
  if (obs.dns.implicit_mx) return `${eps} (implicit MX)`;
  return `${eps} (${obs.dns.mx.length} MX)`;
}

function verdict(obs: Observation, states: CheckState[]): Line[] {
  const d = obs.domain;
  // No states means rules were not run: claiming OK would be a lie.
  const worst = states.length === 0 ? Status.UNKNOWN : worstStatus(states);
  let sentence: string;
  if (states.length === 0) sentence = `${d} was probed but no rules were evaluated`;
  else if (obs.dns.null_mx && severity(worst) <= severity(Status.INFO))
    sentence = `${d} publishes a null MX: it accepts no mail (RFC 7505)`;
  else {
    const n = countFindings(states, worst);
    switch (worst) {
      case Status.OK:
        sentence = `${d} receives mail correctly on ${coverage(obs)}`;
        break;
      case Status.INFO:
        sentence = `${d} receives mail correctly on ${coverage(obs)}; ${n}`;
        break;
      case Status.WARN:
        sentence = `${d} receives mail, with reservations: ${n}`;
        break;
      case Status.CRIT:
        sentence = `${d} cannot receive mail reliably: ${n}`;
        break;
      case Status.UNKNOWN:
        sentence = `${d} could not be fully assessed: ${n}`;
        break;
      default:
        sentence = `${d} could not be checked: ${n}`;
    }
  }
  const about = `${d} · checked ${obs.collected_at} · took ${ms(obs.duration_ms)} · ${obs.checker.name} ${obs.checker.version}`;
  return [
    [...tag(worst), ' ', sentence],
    [' '.repeat(TAG_WIDTH + 1), about],
  ];
}

// ------------------------------------------------------------- what to fix

function byFinding(a: CheckState, b: CheckState): number {
  return (
    severity(b.status) - severity(a.status) ||
    cmp(a.rule ?? '', b.rule ?? '') ||
    cmp(a.subject ?? '', b.subject ?? '') ||
    cmp(a.code ?? '', b.code ?? '') ||
    cmp(a.message, b.message)
  );
}

/** Code-point order, not locale order: the same report on every machine. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fixHints(state: CheckState): string[] {
  const fix = state.meta?.['fix'];
  if (typeof fix === 'string') return [fix];
  if (Array.isArray(fix)) return fix.filter((f): f is string => typeof f === 'string');
  return [];
}

function whatToFix(obs: Observation, states: CheckState[], width: number): Line[] {
  const lines: Line[] = [[heading('What to fix')]];
  const findings = states.filter((s) => s.status !== Status.OK && !isConsequence(s)).sort(byFinding);
  if (states.length === 0) lines.push([INDENT + 'No rule states given.']);
  else if (findings.length === 0)
    lines.push([
      INDENT + (states.some(isConsequence) ? 'Nothing to fix among what could be tested.' : 'Nothing to fix.'),
    ]);
  const room = width - FINDING_INDENT.length;
  let previous: CheckState | null = null;
  for (const s of findings) {
    lines.push([INDENT, ...tag(s.status), '  ', s.subject ?? obs.domain, '  ', `(${s.code ?? s.rule ?? 'unnamed'})`]);
    for (const l of wrap(s.message, room)) lines.push([FINDING_INDENT, l]);
    // The same finding on several endpoints carries the same advice: say it once.
    const hints = fixHints(s);
    if (
      previous &&
      previous.code === s.code &&
      hints.join('\n') === fixHints(previous).join('\n') &&
      hints.length > 0
    ) {
      lines.push([FINDING_INDENT + 'fix: ', 'as above']);
    } else {
      for (const fix of hints) {
        wrap(fix, room - 'fix: '.length).forEach((l, i) =>
          lines.push([FINDING_INDENT + (i === 0 ? 'fix: ' : '     '), l]),
        );
      }
    }
    previous = s;
  }
  return lines;
}

/**
 * "Could not be tested" states that only follow from a problem reported
 * above (no greeting, so no EHLO, no STARTTLS…): listed apart, one line
 * each, so the findings an operator must act on stay on top.
 */
function isConsequence(s: CheckState): boolean {
  return s.status === Status.UNKNOWN && /\.(?:[a-z_]+_)?untested$/.test(s.code ?? '');
}

function withGap(section: Line[]): Line[] {
  return section.length > 0 ? [...section, []] : [];
}

function notTested(states: CheckState[], width: number): Line[] {
  const consequences = states.filter(isConsequence);
  if (consequences.length === 0) return [];
  const lines: Line[] = [[heading('Could not be tested')]];
  const room = width - INDENT.length - 2;
  for (const s of consequences) {
    wrap(`${s.rule ?? s.code}: ${s.message}`, room).forEach((l, i) => lines.push([INDENT + (i === 0 ? '' : '  '), l]));
  }
  return lines;
}

/** Greedy word wrap, on sanitized text so escapes count toward the width; an overlong word keeps its own line. */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n').map(sanitize)) {
    let line = '';
    for (const word of para.split(/ +/)) {
      if (line !== '' && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    out.push(line);
  }
  return out;
}

// --------------------------------------------------------------------- DNS

function dnsFailure(f: DnsFailure): string {
  return `${f.rrtype} ${f.name}: ${f.code} (${f.message})`;
}

function mxLine(t: MxTarget): Line[] {
  const notes: string[] = [];
  if (t.implicit) notes.push('implicit MX: the domain itself');
  if (t.ip_literal) notes.push('IP literal, not a hostname (RFC 5321 §5.1)');
  if (t.cname_chain.length > 0) notes.push(`CNAME → ${t.cname_chain.join(' → ')} (RFC 5321 §5.1)`);
  const addrs = [...t.ipv4, ...t.ipv6];
  if (!t.ip_literal) notes.push(addrs.length > 0 ? addrs.join(', ') : 'no address');
  const lines: Line[] = [[INDENT, `${String(t.preference).padStart(5)} ${t.name}  `, notes.join('; ')]];
  for (const e of t.errors) lines.push([INDENT + '      lookup failed: ', dnsFailure(e)]);
  return lines;
}

function dnsSection(obs: Observation): Line[] {
  const dns = obs.dns;
  const lines: Line[] = [[heading('DNS'), dns.source === 'service' ? ' (MX set from the host)' : '']];
  if (dns.mx_error) lines.push([INDENT + 'MX lookup failed: ', dnsFailure(dns.mx_error)]);
  if (dns.null_mx) lines.push([INDENT + 'null MX (MX 0 .): the domain declares it accepts no mail (RFC 7505)']);
  else if (dns.implicit_mx)
    lines.push([INDENT + "no MX record: the domain's own addresses serve as implicit MX (RFC 5321 §5.1)"]);
  else if (dns.mx.length === 0 && !dns.mx_error) lines.push([INDENT + 'no MX record and no address for the domain']);
  for (const t of dns.mx) lines.push(...mxLine(t));
  return lines;
}

function noEndpointReason(obs: Observation): string {
  if (obs.dns.null_mx) return 'None probed: a null MX means there is nothing to probe.';
  if (obs.dns.mx_error) return 'None probed: the MX lookup failed.';
  return 'None probed: no MX target resolved to an address.';
}

// --------------------------------------------------------------- endpoints

function ms(n: number | null): string {
  return n === null ? '–' : `${Math.round(n)} ms`;
}

/** First line of a reply, clipped, with a count of the lines not shown. */
function firstLine(r: Reply, room: number): string {
  const more = r.lines.length > 1 ? ` (+${r.lines.length - 1} lines)` : '';
  return clip(r.lines[0] ?? String(r.code), room - more.length) + more;
}

function clip(text: string, room: number): string {
  const chars = [...text];
  return chars.length <= room ? text : chars.slice(0, Math.max(1, room - 1)).join('') + '…';
}

function extensionList(e: Extensions): string {
  if (e.keywords.length === 0) return '(none)';
  return e.keywords.map((k) => (e.params[k]?.length ? `${k}=${e.params[k]!.join(',')}` : k)).join(' ');
}

function dn(name: Record<string, string>): string {
  return (
    Object.entries(name)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ') || '(empty)'
  );
}

/** Days between two instants, relative to the check rather than to now, so the report is reproducible. */
function expiry(cert: CertificateInfo, collectedAt: string): string {
  const days = Math.floor((Date.parse(cert.valid_to) - Date.parse(collectedAt)) / 86_400_000);
  if (Number.isNaN(days)) return `expires ${cert.valid_to}`;
  const date = cert.valid_to.slice(0, 10);
  return days >= 0
    ? `expires ${date} (${days} days after the check)`
    : `expired ${date} (${-days} days before the check)`;
}

const KIND_LABEL: Record<Transaction['kind'], string> = {
  null_sender: 'null sender',
  postmaster: 'postmaster',
  open_relay: 'open relay',
};

/** Outcome, then the replies; the recipient is shown because it says what was probed, the sender is in the label. */
function transactionLines(t: Transaction, room: number): string[] {
  const parts: string[] = [t.kind === 'open_relay' && t.outcome === 'accepted' ? 'accepted: OPEN RELAY' : t.outcome];
  if (t.mail) parts.push(`MAIL ${firstLine(t.mail, room)}`);
  if (t.rcpt) parts.push(`RCPT <${t.rcpt_to}> ${firstLine(t.rcpt, room)}`);
  if (t.note) parts.push(t.note);
  return wrap(parts.join(' · '), room);
}

function reverseDns(ep: EndpointProbe): string {
  const r = ep.reverse_dns;
  if (r.ptr_error) return `lookup failed: ${dnsFailure(r.ptr_error)}`;
  if (r.ptr.length === 0) return 'none';
  const names = r.forward.map((f) => {
    if (f.error) return `${f.name} (forward lookup failed: ${f.error.code})`;
    if (f.addresses.includes(ep.address)) return `${f.name} (forward-confirmed)`;
    return `${f.name} (resolves to ${f.addresses.join(', ') || 'nothing'}, not this address)`;
  });
  const unchecked = r.ptr.filter((p) => !r.forward.some((f) => f.name === p));
  return [...names, ...unchecked].join('; ') + (r.fcrdns ? '' : '; FCrDNS fails');
}

function starttlsLines(ep: EndpointProbe, room: number): string[] {
  const st = ep.starttls;
  if (!st.offered) return ['not offered'];
  if (!st.attempted) return ['offered, not attempted'];
  const out: string[] = [];
  if (st.reply && st.reply.code !== 220) out.push(`refused: ${firstLine(st.reply, room)}`);
  else if (st.ok && st.tls) {
    const eph = st.tls.ephemeral
      ? `, ${[st.tls.ephemeral.type, st.tls.ephemeral.name, st.tls.ephemeral.bits].filter((x) => x !== null).join(' ')}`
      : '';
    out.push(`ok in ${ms(ep.timings.tls_ms)}: ${st.tls.version}, ${st.tls.cipher}${eph}`);
  } else out.push(`failed${st.error ? `: ${st.error.code} (${st.error.message})` : ''}`);
  if (st.discarded_bytes > 0)
    out.push(`discarded ${st.discarded_bytes} plaintext bytes sent after the 220 (injection attempt or server bug)`);
  return out;
}

function certificateLines(ep: EndpointProbe, collectedAt: string): string[] {
  const tls = ep.starttls.tls;
  const leaf = tls?.chain[0];
  if (!tls || !leaf) return [];
  const trust = tls.chain_trusted ? 'trusted' : `untrusted${tls.chain_error ? ` (${tls.chain_error})` : ''}`;
  return [
    `${dn(leaf.subject)} · issuer ${dn(leaf.issuer)}`,
    `${expiry(leaf, collectedAt)} · ${trust}${tls.sni ? ` · SNI ${tls.sni}` : ''}`,
  ];
}

function endpointBlock(ep: EndpointProbe, states: CheckState[], collectedAt: string, width: number): Line[] {
  const mine = states.filter((s) => s.subject === ep.subject);
  const head: Line = [heading(`Endpoint ${ep.subject}`)];
  if (mine.length > 0) head.push('  ', ...tag(worstStatus(mine), false));
  head.push(`  MX ${ep.mx.join(', ') || '(none)'} (preference ${ep.preference}) · IPv${ep.family}`);

  const LABEL = 13;
  const room = width - INDENT.length - LABEL;
  const lines: Line[] = [head];
  const row = (label: string, ...values: string[]): void => {
    values.forEach((v, i) => lines.push([INDENT + (i === 0 ? label : '').padEnd(LABEL), v]));
  };

  const t = ep.timings;
  row(
    'timings',
    `connect ${ms(t.connect_ms)} · greeting ${ms(t.greeting_ms)} · EHLO ${ms(t.ehlo_ms)} · TLS ${ms(t.tls_ms)} · total ${ms(t.total_ms)}`,
  );
  if (!ep.connected && !ep.error) row('connect', 'failed');
  if (ep.greeting) row('greeting', firstLine(ep.greeting, room));
  if (ep.ehlo) row('EHLO', firstLine(ep.ehlo, room));
  if (ep.helo_fallback)
    row('HELO', ep.helo ? `${firstLine(ep.helo, room)} (fallback after EHLO refusal)` : 'no answer');
  if (ep.extensions) row('before TLS', ...wrap(extensionList(ep.extensions), room));
  if (ep.connected && ep.ehlo) row('STARTTLS', ...starttlsLines(ep, room));
  row('certificate', ...certificateLines(ep, collectedAt));
  if (ep.ehlo_tls) row('EHLO (TLS)', firstLine(ep.ehlo_tls, room));
  if (ep.extensions_tls) row('after TLS', ...wrap(extensionList(ep.extensions_tls), room));
  for (const tx of ep.transactions) row(KIND_LABEL[tx.kind], ...transactionLines(tx, room));
  if (ep.pipelined && ep.transactions.some((tx) => tx.mail)) row('', '(transactions pipelined)');
  row('PTR', reverseDns(ep));
  if (ep.error) {
    row('stopped', `at ${ep.error.phase}: ${ep.error.code} (${ep.error.message})`);
    const tail = ep.transcript.slice(-FAILURE_TAIL_LINES);
    if (tail.length > 0) {
      row('last lines', ...tail.map((l) => clip(`${String(Math.round(l.t)).padStart(6)} ms ${l.dir} ${l.text}`, room)));
      if (ep.transcript_truncated) row('', '(transcript truncated)');
    }
  }
  return lines;
}
