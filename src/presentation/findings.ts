/**
 * What to fix: the non-OK states as findings, said once, in the one order
 * (`compareFindings`: severity, subject, code), with their fix hints; and
 * apart from them, the "could not be tested" consequences of a problem
 * reported elsewhere. Every report lists these lists as they come.
 */
import { compareFindings, compareText } from '../model/order.js';
import { Status, type CheckState } from '../model/status.js';
import { plural, sanitize } from '../model/text.js';
import { statusView, type StatusView } from './wording.js';

export interface FixItem extends StatusView {
  subject: string;
  message: string;
  fix: string[];
  code: string;
  /** The first of `rules` (code-point order); "" when no rule was named. */
  rule: string;
  /** Every rule that said exactly this (a null MX makes a dozen rules say the same thing). */
  rules: string[];
  /** Who said it, for a one-line listing: the rules, or the code when no rule was named. */
  by: string;
  /** "said by 13 rules" when several rules said exactly this. */
  saidBy: string | null;
  /** Same code and the same fix as the item before it in its list: "as above" is enough. */
  fixAsAbove: boolean;
  /** Anchor of the endpoint section this finding concerns, when it concerns one. */
  anchor: string | null;
}

export interface Findings {
  /** What to fix, in the one order. */
  fixes: FixItem[];
  /** "Could not be tested" consequences of a problem listed in fixes, in the same order. */
  untested: FixItem[];
  /** What the What to fix list says when it is empty; null when it is not. */
  nothingToFix: string | null;
}

/**
 * "Could not be tested" states (UNKNOWN, code `….untested` or
 * `…._untested`): they only follow from a problem reported above (no
 * greeting, so no EHLO, no STARTTLS…), so they are listed apart and the
 * findings an operator must act on stay on top.
 */
export function isConsequence(s: CheckState): boolean {
  return s.status === Status.UNKNOWN && /\.(?:[a-z_]+_)?untested$/.test(s.code ?? '');
}

/** The fix hints of a state: `meta.fix`, a string or a list of them. */
export function fixHints(s: CheckState): string[] {
  const fix = s.meta?.['fix'];
  if (typeof fix === 'string') return [fix];
  if (Array.isArray(fix)) return fix.filter((f): f is string => typeof f === 'string');
  return [];
}

/** One finding per distinct (status, code, subject, message), whoever said it. */
function merge(items: FixItem[]): FixItem[] {
  const byKey = new Map<string, FixItem>();
  for (const f of items) {
    const key = JSON.stringify([f.status, f.code, f.subject, f.message]);
    const same = byKey.get(key);
    if (!same) byKey.set(key, f);
    else for (const r of f.rules) if (!same.rules.includes(r)) same.rules.push(r);
  }
  return [...byKey.values()].map((f) => {
    const rules = [...f.rules].sort(compareText);
    return {
      ...f,
      rules,
      rule: rules[0] ?? '',
      by: rules.length > 0 ? rules.join(', ') : f.code,
      saidBy: rules.length > 1 ? `said by ${plural(rules.length, 'rule')}` : null,
    };
  });
}

/** Sorted, with "as above" marked where a finding repeats the code and fix of the one before it. */
function ordered(items: FixItem[]): FixItem[] {
  const sorted = merge(items).sort(compareFindings);
  return sorted.map((f, i) => {
    const prev = sorted[i - 1];
    const fixAsAbove =
      prev !== undefined && f.fix.length > 0 && prev.code === f.code && prev.fix.join('\n') === f.fix.join('\n');
    return { ...f, fixAsAbove };
  });
}

/**
 * The findings of `states`; a state without a subject concerns `domain`.
 * `anchors` maps an endpoint subject to its section's anchor.
 */
export function buildFindings(
  states: readonly CheckState[],
  domain: string,
  anchors: ReadonlyMap<string, string>,
): Findings {
  const item = (s: CheckState): FixItem => ({
    ...statusView(s.status),
    subject: sanitize(s.subject ?? domain),
    message: sanitize(s.message),
    fix: fixHints(s).map(sanitize),
    code: sanitize(s.code ?? s.rule ?? 'unnamed'),
    rule: '',
    rules: s.rule ? [sanitize(s.rule)] : [],
    by: '',
    saidBy: null,
    fixAsAbove: false,
    anchor: anchors.get(s.subject ?? '') ?? null,
  });
  const notOk = states.filter((s) => s.status !== Status.OK);
  const fixes = ordered(notOk.filter((s) => !isConsequence(s)).map(item));
  const untested = ordered(notOk.filter(isConsequence).map(item));
  let nothingToFix: string | null = null;
  if (states.length === 0) nothingToFix = 'No rule states given.';
  else if (fixes.length === 0)
    nothingToFix = untested.length > 0 ? 'Nothing to fix among what could be tested.' : 'Nothing to fix.';
  return { fixes, untested, nothingToFix };
}
