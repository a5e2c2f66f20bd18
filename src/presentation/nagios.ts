/**
 * The check as a Nagios / Icinga plugin writes it (Nagios Plugin Development
 * Guidelines, "Plugin Output"; Monitoring Plugins' perfdata spec): one
 * status line, `SMTP CRITICAL - text | perfdata`, then the findings as long
 * output, one per line. Performance data is `label=value[UOM];warn;crit;min;max`
 * per item, space-separated; labels here need no quoting. The exit status
 * (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) is the CLI's, as for the other
 * formats. Built from the one report model, so it states the same verdict.
 */
import type { Observation } from '../model/observation.js';
import { Status, type CheckState, type StatusValue } from '../model/status.js';
import { plural } from '../model/text.js';
import { buildReportView, type FixItem } from './view-model.js';

/** Plugin status words (the guidelines' names): INFO is OK, an error of the check itself is UNKNOWN. */
const SERVICE_STATE: Record<StatusValue, string> = {
  [Status.OK]: 'OK',
  [Status.INFO]: 'OK',
  [Status.WARN]: 'WARNING',
  [Status.CRIT]: 'CRITICAL',
  [Status.UNKNOWN]: 'UNKNOWN',
  [Status.ERROR]: 'UNKNOWN',
};

/** The guidelines reserve "|" for the start of performance data; a status text must not hold one. */
function plain(text: string): string {
  return text.replace(/\|/g, '/').replace(/\s+/g, ' ').trim();
}

/** "open relay", "starttls missing": a finding's code as words, for a one-line status. */
function codeWords(code: string): string {
  return code.replace(/^smtp\./, '').replace(/[._]/g, ' ');
}

/** Everything worse than a remark, after the first: "2 more critical problems, 1 warning". */
function others(fixes: readonly FixItem[]): string {
  const counts = [
    [Status.CRIT, 'critical problem', 'critical problems'],
    [Status.WARN, 'warning', 'warnings'],
    [Status.UNKNOWN, 'undecided check', 'undecided checks'],
    [Status.ERROR, 'checker error', 'checker errors'],
  ] as const;
  return counts
    .map(([s, one, many]) => [fixes.slice(1).filter((f) => f.status === s).length, one, many] as const)
    .filter(([n]) => n > 0)
    .map(([n, one, many], i) => plural(n, i === 0 ? `more ${one}` : one, i === 0 ? `more ${many}` : many))
    .join(', ');
}

/** One performance datum: label=value[UOM];warn;crit;min;max, trailing empty fields dropped. */
function datum(label: string, value: number, uom = '', min?: number, max?: number): string {
  const fields = [
    `${label}=${value}${uom}`,
    '',
    '',
    min === undefined ? '' : String(min),
    max === undefined ? '' : String(max),
  ];
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return fields.join(';');
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/** Performance data: the check's time, endpoint counts by what they do, and the findings per status. */
export function nagiosPerfdata(obs: Observation, states: readonly CheckState[]): string {
  const eps = obs.endpoints;
  const n = eps.length;
  const tls = (v: string) => eps.filter((e) => e.starttls.ok && e.starttls.tls?.version === v).length;
  const slowest = (pick: (ms: Observation['endpoints'][number]['timings']) => number | null) =>
    Math.max(0, ...eps.map((e) => pick(e.timings) ?? 0));
  const findings = (s: StatusValue) => states.filter((st) => st.status === s).length;
  return [
    datum('time', seconds(obs.duration_ms), 's', 0),
    datum('endpoints', n, '', 0),
    datum('reachable', eps.filter((e) => e.connected).length, '', 0, n),
    datum('starttls', eps.filter((e) => e.starttls.ok).length, '', 0, n),
    datum('tls13', tls('TLSv1.3'), '', 0, n),
    datum('tls12', tls('TLSv1.2'), '', 0, n),
    datum('fcrdns', eps.filter((e) => e.reverse_dns.fcrdns).length, '', 0, n),
    datum(
      'ipv6',
      eps.filter((e) => e.family === 6 && e.connected).length,
      '',
      0,
      eps.filter((e) => e.family === 6).length,
    ),
    datum(
      'open_relay',
      eps.filter((e) => e.transactions.some((t) => t.kind === 'open_relay' && t.outcome === 'accepted')).length,
      '',
      0,
      n,
    ),
    datum('connect_max', seconds(slowest((t) => t.connect_ms)), 's', 0),
    datum('total_max', seconds(slowest((t) => t.total_ms)), 's', 0),
    datum('crit', findings(Status.CRIT), '', 0),
    datum('warn', findings(Status.WARN), '', 0),
    datum('unknown', findings(Status.UNKNOWN), '', 0),
    datum('info', findings(Status.INFO), '', 0),
  ].join(' ');
}

/**
 * The plugin output: `SMTP <STATE> - <text> | <perfdata>`, the text being
 * the worst finding and how many more ("example.com: open relay on
 * 192.0.2.1:25; 1 more critical problem"), or the verdict's sentence when
 * nothing is to fix; then one line per finding to fix (long output).
 */
export function renderNagios(obs: Observation, states: readonly CheckState[]): string {
  const vm = buildReportView(obs, { states });
  const state = SERVICE_STATE[vm.verdict.status];
  const worst = vm.fixes[0];
  const fromFinding = worst !== undefined && vm.verdict.status !== Status.UNKNOWN;
  const text = fromFinding
    ? `${vm.domain}: ${codeWords(worst.code)} on ${worst.subject}${others(vm.fixes) ? `; ${others(vm.fixes)}` : ''}`
    : vm.verdict.sentence;
  // A grouped finding names its endpoints: a monitoring notification is read without the report.
  const named = (f: FixItem) => (f.subjects.length > 1 ? ` [${f.subjects.map((x) => x.text).join(', ')}]` : '');
  const long = vm.fixes.map((f) => plain(`${f.label} ${f.subject}${named(f)} (${f.code}): ${f.message}`));
  return [`SMTP ${state} - ${plain(text)} | ${nagiosPerfdata(obs, states)}`, ...long].join('\n') + '\n';
}
