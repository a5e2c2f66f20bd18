/**
 * The CLI's default report: what a mail operator reads top to bottom in a
 * terminal, on one screen. The verdict, one row per endpoint, what to fix
 * (identical findings on several endpoints said once), what could not be
 * tested, remarks, and how many checks passed; with `verbose`, the evidence
 * too (DNS, one block per endpoint with the last transcript lines of a
 * dialogue that stopped early). It lays out the report model
 * (view-model.ts), which orders, groups and words everything; this file only
 * wraps, clips, pads and colours, and never writes a line wider than the
 * width it is given. The JSON output carries the full transcript.
 *
 * Everything from the observation and the states is untrusted text (banners,
 * reply lines, PTR names): the model sanitizes it, and every segment is
 * sanitized again in one place, `paint()`, so no path can forget it.
 */
import type { Observation } from '../../model/observation.js';
import { STATUS_NAMES, Status, type CheckState, type StatusValue } from '../../model/status.js';
import { sanitize } from '../../model/text.js';
import {
  buildReportView,
  type Cell,
  type EndpointSection,
  type FixItem,
  type ReportViewModel,
  type SummaryRow,
  type Tone,
} from '../view-model.js';
import { NONE_ADVERTISED, type ReplyView } from '../wording.js';

export interface RenderTextOptions {
  color: boolean;
  /** Columns: no line is wider (prose wraps, server lines are clipped with "…"); 100 when absent. */
  width?: number;
  /** Also the evidence: the DNS facts and one block per endpoint (greeting, TLS, transactions, last lines). */
  verbose?: boolean;
}

export const DEFAULT_WIDTH = 100;
/** Below this, wrapping makes prose unreadable; clip rather than squeeze. */
const MIN_WIDTH = 40;
/** Transcript entries shown when a dialogue stopped early: the last exchange; the JSON has the rest. */
const FAILURE_TAIL_LINES = 6;
/** Width of the status column: "UNKNOWN" is the longest name. */
const TAG_WIDTH = 7;
const INDENT = '  ';
/** Findings' message and fix lines align under the subject, after "  TAG     ". */
const FINDING_INDENT = ' '.repeat(INDENT.length + TAG_WIDTH + 2);
/** Width of the label column of an endpoint block: "certificate" and "Null sender" plus a gap. */
const LABEL_WIDTH = 13;
/** Width of a transcript time ("+12000 ms"), so the directions line up. */
const TIME_WIDTH = 9;
/** Width of an MX preference (0–65535). */
const PREFERENCE_WIDTH = 5;
/** Gap between the columns of the endpoint table. */
const COLUMN_GAP = '  ';
const FIX_LABEL = 'fix: ';

type Style = 'bold' | 'dim' | StatusValue | Tone;
type Segment = string | { text: string; style: Style };
type Line = Segment[];

// Red for what breaks mail, yellow for what might, cyan for remarks, magenta
// for "could not tell" (distinct from every verdict colour).
const ANSI: Record<Style, string> = {
  bold: '1',
  dim: '2',
  [Status.ERROR]: '1;31',
  [Status.CRIT]: '31',
  [Status.WARN]: '33',
  [Status.INFO]: '36',
  [Status.OK]: '32',
  [Status.UNKNOWN]: '35',
  ok: '32',
  bad: '31',
  warn: '33',
  info: '36',
  muted: '2',
};

export function renderText(obs: Observation, states: readonly CheckState[], opts: RenderTextOptions): string {
  const width = Math.max(MIN_WIDTH, Math.floor(opts.width ?? DEFAULT_WIDTH));
  const vm = buildReportView(obs, { states });
  const lines: Line[] = [
    ...verdict(vm, width),
    ...withGapBefore(endpointTable(vm, width)),
    ...withGapBefore(egressSection(vm, width)),
    [],
    ...whatToFix(vm, width),
    ...withGapBefore(notTested(vm, width)),
    ...withGapBefore(remarks(vm, width)),
    ...(vm.passed ? [[], [vm.passed]] : []),
  ];
  if (opts.verbose) {
    lines.push([], ...dnsSection(vm, width));
    for (const ep of vm.endpoints) lines.push([], ...endpointBlock(ep, width));
  }
  return lines.map((l) => paint(fitLine(l, width), opts.color).trimEnd()).join('\n') + '\n';
}

function paint(line: Line, color: boolean): string {
  return line
    .map((seg) => {
      if (typeof seg === 'string') return sanitize(seg);
      const text = sanitize(seg.text);
      return color && text !== '' ? `\x1b[${ANSI[seg.style]}m${text}\x1b[0m` : text;
    })
    .join('');
}

const heading = (text: string): Segment => ({ text, style: 'bold' });

/** Characters as a terminal counts them (code points, not UTF-16 units), after sanitizing. */
function columns(text: string): number {
  return [...sanitize(text)].length;
}

const segText = (seg: Segment): string => (typeof seg === 'string' ? seg : seg.text);

/** The safety net under every layout choice: a line wider than `width` is clipped, its last character "…". */
function fitLine(line: Line, width: number): Line {
  let room = width;
  const out: Line = [];
  for (const seg of line) {
    const text = sanitize(segText(seg));
    const n = [...text].length;
    if (n <= room) {
      out.push(typeof seg === 'string' ? text : { ...seg, text });
      room -= n;
      continue;
    }
    const cut = [...text].slice(0, Math.max(0, room - 1)).join('') + '…';
    out.push(typeof seg === 'string' ? cut : { ...seg, text: cut });
    return out;
  }
  return out;
}

/** The status as text, always, padded so columns line up whether coloured or not. */
function tag(status: StatusValue, pad = true): Segment[] {
  const name = STATUS_NAMES[status];
  return [{ text: name, style: status }, pad ? ' '.repeat(TAG_WIDTH - name.length) : ''];
}

function withGapBefore(section: Line[]): Line[] {
  return section.length > 0 ? [[], ...section] : [];
}

/** Greedy word wrap to `width` columns; a word longer than a line is broken. */
export function wrap(text: string, width: number): string[] {
  const room = Math.max(1, width);
  const out: string[] = [];
  let line = '';
  for (let word of text.split(/ +/)) {
    while (columns(word) > room) {
      if (line !== '') {
        out.push(line);
        line = '';
      }
      const chars = [...word];
      out.push(chars.slice(0, room).join(''));
      word = chars.slice(room).join('');
    }
    if (line !== '' && columns(line) + 1 + columns(word) > room) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  out.push(line);
  return out;
}

function clip(text: string, room: number): string {
  const chars = [...text];
  return chars.length <= room ? text : chars.slice(0, Math.max(1, room - 1)).join('') + '…';
}

/** A reply on one line: its first line clipped so what follows it (the count of other lines, a note) stays. */
function oneLine(r: ReplyView, room: number): string {
  return clip(r.first, room - r.more.length) + r.more;
}

// ---------------------------------------------------------------- verdict

function verdict(vm: ReportViewModel, width: number): Line[] {
  const under = ' '.repeat(TAG_WIDTH + 1);
  const room = width - under.length;
  const [first = '', ...more] = wrap(vm.verdict.sentence, room);
  return [
    [...tag(vm.verdict.status), ' ', first],
    ...more.map((l): Line => [under, l]),
    ...wrap(vm.about, room).map((l): Line => [under, { text: l, style: 'dim' }]),
    ...(vm.cutNote ? wrap(vm.cutNote, room).map((l): Line => [under, l]) : []),
  ];
}

// ----------------------------------------------------------- endpoint table

interface TableCell {
  text: string;
  /** Null: plain text. */
  style: Style | null;
}

const toned = (c: Cell): TableCell => ({ text: c.text, style: c.tone });

interface Column {
  header: string;
  cell: (r: SummaryRow) => TableCell;
  /** Narrowest it is squeezed to (cells clipped with "…") before the table gives way to a list. */
  min: number;
}

// The minimums keep what a row is read for whole: an IPv4 address, "TLSv1.3", "OPEN RELAY" nearly, the status.
const TABLE: Column[] = [
  { header: 'MX', cell: (r) => ({ text: r.mx, style: null }), min: 8 },
  { header: 'Address', cell: (r) => ({ text: r.where, style: null }), min: 11 },
  { header: 'Reachable', cell: (r) => toned(r.reachable), min: 9 },
  { header: 'TLS', cell: (r) => toned(r.tls), min: 7 },
  { header: 'PTR', cell: (r) => toned(r.ptrBrief), min: 4 },
  { header: 'Relay', cell: (r) => (r.openRelay ? { text: 'OPEN RELAY', style: 'bad' } : toned(r.relay)), min: 8 },
  { header: 'Status', cell: (r) => ({ text: r.status.label, style: r.status.status }), min: TAG_WIDTH },
];

/**
 * One row per endpoint, the widest column squeezed (cells clipped with "…")
 * until the table fits; on a terminal too narrow for that, one endpoint per
 * entry instead, its facts wrapped under it.
 */
function endpointTable(vm: ReportViewModel, width: number): Line[] {
  if (vm.noEndpoints !== null) return [[heading('Endpoints')], [INDENT, vm.noEndpoints]];
  const cells = vm.rows.map((r) => TABLE.map((c) => c.cell(r)));
  const widths = TABLE.map((c, i) => Math.max(columns(c.header), ...cells.map((row) => columns(row[i]!.text))));
  const room = width - INDENT.length - COLUMN_GAP.length * (TABLE.length - 1);
  const floor = TABLE.map((c, i) => Math.min(c.min, widths[i]!));
  if (floor.reduce((a, b) => a + b, 0) > room) return endpointList(vm, width);
  let total = widths.reduce((a, b) => a + b, 0);
  while (total > room) {
    const widest = widths.reduce((a, w, i) => (w - floor[i]! > widths[a]! - floor[a]! ? i : a), 0);
    widths[widest]!--;
    total--;
  }
  const pad = (text: string, w: number) => {
    const clipped = clip(text, w);
    return clipped + ' '.repeat(Math.max(0, w - columns(clipped)));
  };
  const header: Line = [
    INDENT,
    { text: TABLE.map((c, i) => pad(c.header, widths[i]!)).join(COLUMN_GAP), style: 'bold' },
  ];
  const rows = cells.map((row): Line => {
    const line: Line = [INDENT];
    row.forEach((c, i) => {
      if (i > 0) line.push(COLUMN_GAP);
      const text = pad(c.text, widths[i]!);
      const shown = text.trimEnd();
      line.push(c.style === null ? shown : { text: shown, style: c.style }, text.slice(shown.length));
    });
    return line;
  });
  return [[heading('Endpoints')], header, ...rows];
}

/** The endpoint table as a list, for a narrow terminal: status, MX and address, then the facts wrapped. */
function endpointList(vm: ReportViewModel, width: number): Line[] {
  const under = ' '.repeat(INDENT.length + TAG_WIDTH + 1);
  const room = width - under.length;
  const lines: Line[] = [[heading('Endpoints')]];
  for (const r of vm.rows) {
    const [first = '', ...more] = wrap(`${r.mx} ${r.where}`, room);
    lines.push([INDENT, ...tag(r.status.status), ' ', first], ...more.map((l): Line => [under, l]));
    const relay = r.openRelay ? 'OPEN RELAY' : `relay ${r.relay.text}`;
    const facts = `reachable ${r.reachable.text} · TLS ${r.tls.text} · PTR ${r.ptrBrief.text} · ${relay}`;
    lines.push(...wrap(facts, room).map((l): Line => [under, l]));
  }
  return lines;
}

// ------------------------------------------------------------- what to fix

function finding(f: FixItem, width: number): Line[] {
  const room = width - FINDING_INDENT.length;
  const lines: Line[] = [
    [INDENT, ...tag(f.status), '  ', f.subject, '  ', `(${f.code}${f.saidBy ? `, ${f.saidBy}` : ''})`],
  ];
  if (f.subjects.length > 1) {
    const names = f.subjects.map((s) => s.text).join(', ');
    for (const l of wrap(names, room)) lines.push([FINDING_INDENT, { text: l, style: 'dim' }]);
  }
  for (const l of wrap(f.message, room)) lines.push([FINDING_INDENT, l]);
  if (f.fixAsAbove) return [...lines, [FINDING_INDENT + FIX_LABEL, 'as above']];
  for (const fix of f.fix) {
    wrap(fix, room - FIX_LABEL.length).forEach((l, i) =>
      lines.push([FINDING_INDENT + (i === 0 ? FIX_LABEL : ' '.repeat(FIX_LABEL.length)), l]),
    );
  }
  return lines;
}

function whatToFix(vm: ReportViewModel, width: number): Line[] {
  const lines: Line[] = [[heading('What to fix')]];
  if (vm.nothingToFix !== null) lines.push([INDENT + vm.nothingToFix]);
  for (const f of vm.fixes) lines.push(...finding(f, width));
  return lines;
}

/** Remarks (INFO): worth knowing, nothing to act on, so below what to fix. */
function remarks(vm: ReportViewModel, width: number): Line[] {
  if (vm.remarks.length === 0) return [];
  return [[heading('Remarks'), ' (nothing to fix)'], ...vm.remarks.flatMap((f) => finding(f, width))];
}

/** The "could not be tested" consequences, one line each, so the findings to act on stay on top. */
function notTested(vm: ReportViewModel, width: number): Line[] {
  if (vm.untested.length === 0) return [];
  const lines: Line[] = [[heading('Could not be tested')]];
  const room = width - INDENT.length - 2;
  for (const f of vm.untested) {
    const about = f.subjects.length > 1 ? ` (${f.subjects.map((s) => s.text).join(', ')})` : '';
    wrap(`${f.by}: ${f.message}${about}`, room).forEach((l, i) => lines.push([INDENT + (i === 0 ? '' : '  '), l]));
  }
  return lines;
}

// --------------------------------------------------------------------- DNS

function dnsSection(vm: ReportViewModel, width: number): Line[] {
  const room = width - INDENT.length;
  const lines: Line[] = [
    [heading('DNS'), ` (${vm.dns.source})`],
    ...wrap(`resolver ${vm.dns.resolver}`, room).map((l): Line => [INDENT, l]),
  ];
  for (const n of vm.dns.notes) lines.push(...wrap(n.text, room).map((l): Line => [INDENT, l]));
  const under = INDENT + ' '.repeat(PREFERENCE_WIDTH + 1);
  for (const t of vm.dns.targets) {
    const facts = [...t.notes, t.addresses].filter((x) => x !== '').join('; ');
    const head = `${t.preference.padStart(PREFERENCE_WIDTH)} ${t.name}  `;
    const [first = '', ...more] = wrap(facts, width - INDENT.length - columns(head));
    lines.push([INDENT, head, first], ...more.map((l): Line => [under, l]));
    for (const e of t.errors) lines.push(...wrap(e, width - under.length).map((l): Line => [under, l]));
  }
  return lines;
}

/** The egress check, when it ran: whether this machine reaches port 25 at all. */
function egressSection(vm: ReportViewModel, width: number): Line[] {
  if (!vm.egress) return [];
  const room = width - INDENT.length;
  return [
    [heading('Port 25 from this machine'), ' (egress check)'],
    ...wrap(vm.egress.verdict.text, room).map((l): Line => [INDENT, l]),
    ...vm.egress.canaries.flatMap((c) =>
      wrap(c, room - 2).map((l, i): Line => [INDENT + (i === 0 ? '  ' : '    '), l]),
    ),
  ];
}

// --------------------------------------------------------------- endpoints

function endpointBlock(ep: EndpointSection, width: number): Line[] {
  const room = width - INDENT.length - LABEL_WIDTH;
  const lines: Line[] = [
    [heading(`Endpoint ${ep.subject}`), '  ', ...tag(ep.status.status, false), `  MX ${ep.mx} · ${ep.family}`],
  ];
  const row = (label: string, ...values: string[]): void => {
    values.forEach((v, i) => lines.push([INDENT + (i === 0 ? label : '').padEnd(LABEL_WIDTH), v]));
  };
  const prose = (label: string, ...texts: string[]): void => row(label, ...texts.flatMap((t) => wrap(t, room)));
  const list = (items: string[]): string[] => wrap(items.length > 0 ? items.join(', ') : NONE_ADVERTISED, room);

  if (ep.retry) prose('first try', ep.retry);
  prose('timings', ep.timings.map((t) => `${t.label} ${t.value}`).join(' · '));
  if (ep.greeting) row('greeting', oneLine(ep.greeting, room));
  if (ep.ehlo) row('EHLO', oneLine(ep.ehlo, room));
  if (ep.helo) row('HELO', oneLine(ep.helo, room));
  if (ep.extensionsBefore) row('before TLS', ...list(ep.extensionsBefore));
  if (ep.starttls) prose('STARTTLS', ...ep.starttls);
  const c = ep.certificate;
  if (c) {
    const sni = c.sni ? ` · SNI ${c.sni}` : '';
    prose(
      'certificate',
      `${c.subject} · issuer ${c.issuer}`,
      `${c.validity} · ${c.expiry.text} · ${c.trust.text}${sni}`,
    );
    prose('chain', ...c.chain.map((cert) => cert.text));
  }
  if (ep.ehloTls) row('EHLO (TLS)', oneLine(ep.ehloTls, room));
  if (ep.extensionsAfter) row('after TLS', ...list(ep.extensionsAfter));
  for (const tx of ep.transactions) {
    const parts = [tx.outcome.text, tx.brief, tx.note].filter((p): p is string => p !== null);
    prose(tx.label, parts.join(' · '));
  }
  if (ep.pipelined) prose('', ep.pipelined);
  prose('PTR', ep.ptr.join('; '));
  if (ep.stop) {
    prose('stopped', ep.stop);
    const tail = ep.transcript.slice(-FAILURE_TAIL_LINES);
    if (tail.length > 0)
      row('last lines', ...tail.map((l) => clip(`${l.time.padStart(TIME_WIDTH)} ${l.dir} ${l.text}`, room)));
    if (ep.transcriptNote) prose('', ep.transcriptNote);
  }
  return lines;
}
