/**
 * The CLI's default report: what a mail operator reads top to bottom in a
 * terminal. Verdict, then what to fix, then the evidence (DNS, one block per
 * endpoint). It lays out the report model (view-model.ts), which orders and
 * words everything; this file only wraps, clips, pads and colours. The JSON
 * output carries the full transcript; this shows enough of it to see why.
 *
 * Everything from the observation and the states is untrusted text (banners,
 * reply lines, PTR names): the model sanitizes it, and every segment is
 * sanitized again in one place, `paint()`, so no path can forget it.
 */
import type { Observation } from '../../model/observation.js';
import { STATUS_NAMES, Status, type CheckState, type StatusValue } from '../../model/status.js';
import { sanitize } from '../../model/text.js';
import { buildReportView, type EndpointSection, type FixItem, type ReportViewModel } from '../view-model.js';
import { NONE_ADVERTISED, type ReplyView } from '../wording.js';

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
/** Width of the label column of an endpoint block: "certificate" and "Null sender" plus a gap. */
const LABEL_WIDTH = 13;
/** Width of a transcript time ("+12000 ms"), so the directions line up. */
const TIME_WIDTH = 9;
/** Width of an MX preference (0–65535). */
const PREFERENCE_WIDTH = 5;
const FIX_LABEL = 'fix: ';

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

export function renderText(obs: Observation, states: readonly CheckState[], opts: RenderTextOptions): string {
  const width = Math.max(MIN_WIDTH, opts.width ?? DEFAULT_WIDTH);
  const vm = buildReportView(obs, { states });
  const lines: Line[] = [
    ...verdict(vm),
    [],
    ...whatToFix(vm, width),
    [],
    ...withGap(notTested(vm, width)),
    ...dnsSection(vm),
    ...egressSection(vm, width),
    ...vm.endpoints.flatMap((ep) => [[], ...endpointBlock(ep, width)]),
  ];
  if (vm.noEndpoints !== null) lines.push([], [heading('Endpoints')], [INDENT + vm.noEndpoints]);
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

function withGap(section: Line[]): Line[] {
  return section.length > 0 ? [...section, []] : [];
}

/** Greedy word wrap; an overlong word keeps its own line. */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
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

function verdict(vm: ReportViewModel): Line[] {
  const under = ' '.repeat(TAG_WIDTH + 1);
  return [
    [...tag(vm.verdict.status), ' ', vm.verdict.sentence],
    [under, vm.about],
    ...(vm.cutNote ? [[under, vm.cutNote]] : []),
  ];
}

// ------------------------------------------------------------- what to fix

function finding(f: FixItem, room: number): Line[] {
  const lines: Line[] = [
    [INDENT, ...tag(f.status), '  ', f.subject, '  ', `(${f.code}${f.saidBy ? `, ${f.saidBy}` : ''})`],
  ];
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
  const room = width - FINDING_INDENT.length;
  for (const f of vm.fixes) lines.push(...finding(f, room));
  return lines;
}

/** The "could not be tested" consequences, one line each, so the findings to act on stay on top. */
function notTested(vm: ReportViewModel, width: number): Line[] {
  if (vm.untested.length === 0) return [];
  const lines: Line[] = [[heading('Could not be tested')]];
  const room = width - INDENT.length - 2;
  for (const f of vm.untested) {
    wrap(`${f.by}: ${f.message}`, room).forEach((l, i) => lines.push([INDENT + (i === 0 ? '' : '  '), l]));
  }
  return lines;
}

// --------------------------------------------------------------------- DNS

function dnsSection(vm: ReportViewModel): Line[] {
  const lines: Line[] = [
    [heading('DNS'), ` (${vm.dns.source})`],
    [INDENT, `resolver ${vm.dns.resolver}`],
  ];
  for (const n of vm.dns.notes) lines.push([INDENT, n.text]);
  for (const t of vm.dns.targets) {
    const facts = [...t.notes, t.addresses].filter((x) => x !== '').join('; ');
    lines.push([INDENT, `${t.preference.padStart(PREFERENCE_WIDTH)} ${t.name}  `, facts]);
    for (const e of t.errors) lines.push([INDENT + ' '.repeat(PREFERENCE_WIDTH + 1), e]);
  }
  return lines;
}

/** The egress check, when it ran: whether this machine reaches port 25 at all. */
function egressSection(vm: ReportViewModel, width: number): Line[] {
  if (!vm.egress) return [];
  const room = width - INDENT.length;
  return [
    [],
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
  const list = (items: string[]): string[] => wrap(items.length > 0 ? items.join(', ') : NONE_ADVERTISED, room);

  if (ep.retry) row('first try', ...wrap(ep.retry, room));
  row('timings', ep.timings.map((t) => `${t.label} ${t.value}`).join(' · '));
  if (ep.greeting) row('greeting', oneLine(ep.greeting, room));
  if (ep.ehlo) row('EHLO', oneLine(ep.ehlo, room));
  if (ep.helo) row('HELO', oneLine(ep.helo, room));
  if (ep.extensionsBefore) row('before TLS', ...list(ep.extensionsBefore));
  if (ep.starttls) row('STARTTLS', ...ep.starttls.flatMap((l) => wrap(l, room)));
  const c = ep.certificate;
  if (c) {
    const sni = c.sni ? ` · SNI ${c.sni}` : '';
    row('certificate', `${c.subject} · issuer ${c.issuer}`, `${c.validity} · ${c.expiry.text} · ${c.trust.text}${sni}`);
    row('chain', ...c.chain.flatMap((cert) => wrap(cert.text, room)));
  }
  if (ep.ehloTls) row('EHLO (TLS)', oneLine(ep.ehloTls, room));
  if (ep.extensionsAfter) row('after TLS', ...list(ep.extensionsAfter));
  for (const tx of ep.transactions) {
    const parts = [tx.outcome.text, tx.brief, tx.note].filter((p): p is string => p !== null);
    row(tx.label, ...wrap(parts.join(' · '), room));
  }
  if (ep.pipelined) row('', ep.pipelined);
  row('PTR', ...wrap(ep.ptr.join('; '), room));
  if (ep.stop) {
    row('stopped', ...wrap(ep.stop, room));
    const tail = ep.transcript.slice(-FAILURE_TAIL_LINES);
    if (tail.length > 0)
      row('last lines', ...tail.map((l) => clip(`${l.time.padStart(TIME_WIDTH)} ${l.dir} ${l.text}`, room)));
    if (ep.transcriptNote) row('', ep.transcriptNote);
  }
  return lines;
}
