/**
 * The terminal summary at the end of a batch: a few lines, counts first,
 * then what needs a person (open relays, unreachable domains, errors) with
 * where to find each in the output, then what changed since the previous
 * run. Names come from files: shown sanitized.
 */
import { sanitize } from '../../model/text.js';
import { FLEET_TOP_FINDINGS_TEXT } from '../../model/fleet-limits.js';
import type { FleetComparisonModel } from '../fleet-compare.js';
import { percent, type CappedList, type FleetEntry, type FleetSummaryModel } from '../fleet-summary.js';

/** Domains named per list in the terminal summary: the HTML summary and the output have the rest. */
const NAMED_IN_TEXT = 5;

export interface FleetTextInput {
  summary: FleetSummaryModel;
  comparison: FleetComparisonModel | null;
  /** The output's name for "where": `results.jsonl`, or null for stdout (then only line numbers). */
  output: string | null;
}

/** "1,234": thousands grouped, as in the progress line. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function renderFleetText({ summary: s, comparison, output }: FleetTextInput): string {
  const out: string[] = [];
  const statuses = (['OK', 'INFO', 'WARN', 'CRIT', 'UNKNOWN', 'ERROR'] as const)
    .filter((k) => s.byStatus[k] > 0)
    .map((k) => `${count(s.byStatus[k])} ${k}`);
  out.push(`${count(s.domains)} domains: ${statuses.join(', ') || 'none'}.`);
  if (s.shares.reached > 0) {
    const r = s.shares.reached;
    out.push(
      `Of ${count(r)} with a reachable MX: STARTTLS ${percent(s.shares.starttls, r)}, TLS ≥ 1.2 ${percent(s.shares.tls12, r)}, ` +
        `FCrDNS ${percent(s.shares.fcrdns, r)}, IPv6 ${percent(s.shares.ipv6, r)}.`,
    );
  }
  out.push(...listLine('Open relays', s.openRelays, output));
  out.push(...listLine('Unreachable', s.unreachable, output));
  out.push(...listLine('Errors', s.errors, output));
  if (s.findings.length > 0) {
    const top = s.findings
      .slice(0, FLEET_TOP_FINDINGS_TEXT)
      .map((f) => `${sanitize(f.code)} ${count(f.domains)}`)
      .join(', ');
    out.push(`Top findings (domains): ${top}${s.findings.length > FLEET_TOP_FINDINGS_TEXT ? ', …' : ''}.`);
  }
  if (comparison) out.push(...comparisonLines(comparison, output));
  return `${out.join('\n')}\n`;
}

function where(entry: FleetEntry, output: string | null): string {
  return `${sanitize(entry.domain)} (${output === null ? 'line ' : `${sanitize(output)}:`}${entry.line})`;
}

function listLine(label: string, list: CappedList<FleetEntry>, output: string | null): string[] {
  if (list.total === 0) return [];
  const named = list.items.slice(0, NAMED_IN_TEXT).map((e) => where(e, output));
  const more = list.total - named.length;
  return [`${label}: ${count(list.total)}: ${named.join(', ')}${more > 0 ? `, and ${count(more)} more` : ''}.`];
}

function comparisonLines(c: FleetComparisonModel, output: string | null): string[] {
  const total = (xs: { domains: number }[]) => xs.reduce((n, x) => n + x.domains, 0);
  const lines = [
    `Since ${sanitize(c.previous)} (${count(c.previousDomains)} domains; ${count(c.common)} in both, ` +
      `${count(c.added)} new, ${count(c.dropped)} not checked this time): ` +
      `${count(total(c.newFindings))} new findings, ${count(total(c.fixedFindings))} fixed, ` +
      `${count(c.worse.total)} domains worse, ${count(c.better.total)} better.`,
  ];
  const codes = (xs: { code: string; domains: number }[]) =>
    xs
      .slice(0, FLEET_TOP_FINDINGS_TEXT)
      .map((x) => `${sanitize(x.code)} ${count(x.domains)}`)
      .join(', ');
  if (c.newFindings.length > 0) lines.push(`  New: ${codes(c.newFindings)}.`);
  if (c.fixedFindings.length > 0) lines.push(`  Fixed: ${codes(c.fixedFindings)}.`);
  const moves = (label: string, list: FleetComparisonModel['worse']) => {
    if (list.total === 0) return;
    const named = list.items.slice(0, NAMED_IN_TEXT).map((m) => `${where(m, output)} ${m.from} → ${m.to}`);
    const more = list.total - named.length;
    lines.push(`  ${label}: ${named.join(', ')}${more > 0 ? `, and ${count(more)} more` : ''}.`);
  };
  moves('Worse', c.worse);
  moves('Better', c.better);
  return lines;
}
