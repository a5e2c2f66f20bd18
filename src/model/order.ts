/**
 * The one order of findings, shared by the rules (their output is sorted),
 * every report (terminal, HTML, the /check page) and anything else that
 * lists states: worst first, then by subject as a person reads addresses,
 * then by code. Code-point comparison, never locale: the same order on
 * every machine.
 */
import { severity, type CheckState } from './status.js';

/** Code-point order: the same on every machine, whatever its locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Natural order on subjects, so "192.0.2.9:25" sorts before "192.0.2.10:25":
 * digit runs compare as numbers, everything else by code unit (no locale).
 */
export function compareSubjects(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    return compareText(x, y);
  }
  return ta.length - tb.length || compareText(a, b);
}

/** What the order looks at: a state, or anything worded from one. */
export type Orderable = Pick<CheckState, 'status' | 'subject' | 'code' | 'message'>;

/**
 * Severity (CRIT, WARN, UNKNOWN, INFO, OK: see `severity()`), then natural
 * subject order, then code; the message last, so that no two different
 * findings tie and the order never depends on the order they came in.
 */
export function compareFindings(a: Orderable, b: Orderable): number {
  return (
    severity(b.status) - severity(a.status) ||
    compareSubjects(a.subject ?? '', b.subject ?? '') ||
    compareText(a.code ?? '', b.code ?? '') ||
    compareText(a.message, b.message)
  );
}
