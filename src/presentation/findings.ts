/**
 * What to fix: the non-OK states as findings, said once, in the one order
 * (`compareFindings`: severity, subject, code), with their fix hints; apart
 * from them the remarks (INFO: nothing to act on) and the "could not be
 * tested" consequences of a problem reported elsewhere. Identical findings
 * on several endpoints (four `ext.missing`, three `tls.untrusted`) are one
 * item naming its endpoints: same status, code, rules, and the same message
 * and fix once the endpoint's own name is taken out. Every report (terminal,
 * HTML, the /check page) lists these lists as they come.
 */
import { compareFindings, compareSubjects, compareText } from '../model/order.js';
import { Status, severity, type CheckState } from '../model/status.js';
import { plural, sanitize } from '../model/text.js';
import { statusView, type StatusView } from './wording.js';

/** One subject a finding names, with the anchor of its endpoint section when it is an endpoint. */
export interface FindingSubject {
  text: string;
  anchor: string | null;
}

export interface FixItem extends StatusView {
  /** What it concerns: one subject ("192.0.2.1:25"), or for a group "3 endpoints of mx1.example.com". */
  subject: string;
  /** Every subject it concerns, in natural order (one for an ungrouped finding). */
  subjects: FindingSubject[];
  /** The message; for a group, worded for all its endpoints ("Each endpoint does not advertise …"). */
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
  /** Anchor of the endpoint section this finding concerns, when it concerns one endpoint (the first, for a group). */
  anchor: string | null;
}

export interface Findings {
  /** What to fix (WARN, CRIT, UNKNOWN, ERROR), grouped, in the one order. */
  fixes: FixItem[];
  /** Remarks (INFO): worth knowing, nothing to fix; grouped, in the one order. */
  remarks: FixItem[];
  /** "Could not be tested" consequences of a problem listed in fixes, grouped, in the same order. */
  untested: FixItem[];
  /** Every finding about one subject, ungrouped (an endpoint section lists its own). */
  bySubject: FixItem[];
  /** What the What to fix list says when it is empty; null when it is not. */
  nothingToFix: string | null;
}

/** What the report knows of an endpoint subject, for its anchor and for grouping findings about several. */
export interface EndpointInfo {
  anchor: string;
  /** Its address as messages name it ("192.0.2.1", "2001:db8::1"). */
  address: string;
  /** "mx1.example.com", "mx1.example.com, mx2.example.com": what the group label names. */
  mx: string;
}

/**
 * "Could not be tested" states (UNKNOWN, code `….untested` or
 * `…._untested`): they only follow from a problem reported above (no
 * greeting, so no EHLO, no STARTTLS…), so they are listed apart and the
 * findings an operator must act on stay on top.
 */
export function isConsequence(s: Pick<CheckState, 'status' | 'code'>): boolean {
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

// Placeholders for an endpoint's own names while findings are compared: control characters, which sanitized
// text never holds, so they cannot collide with anything a message says.
const SUBJECT = '\u0001';
const ADDRESS = '\u0002';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `text` with the endpoint's subject and address taken out: what its findings share with other endpoints'. */
function template(text: string, subject: string, info: EndpointInfo): string {
  const address = new RegExp(`(?<![\\w.:])${escapeRegExp(info.address)}(?![\\w:]|\\.\\d)`, 'g');
  return text.split(subject).join(SUBJECT).replace(address, ADDRESS);
}

/** A template worded for every endpoint of a group: "Each endpoint …", "the PTR of each address …". */
function wordForAll(text: string): string {
  let out = text;
  for (const [token, word] of [
    [SUBJECT, 'endpoint'],
    [ADDRESS, 'address'],
  ] as const) {
    out = out
      .replace(new RegExp(`(^|\\. )${token}`, 'g'), (_match, before: string) => `${before}Each ${word}`)
      .replace(new RegExp(token, 'g'), `each ${word}`);
  }
  return out;
}

/** "3 endpoints of mx1.example.com", or "3 endpoints" when they serve different MX names. */
function groupLabel(members: FixItem[], endpoints: ReadonlyMap<string, EndpointInfo>): string {
  const mx = new Set(members.map((m) => endpoints.get(m.subject)?.mx ?? ''));
  const [only] = mx;
  return `${members.length} endpoints${mx.size === 1 && only ? ` of ${only}` : ''}`;
}

/**
 * Identical findings about several endpoints as one item: same status,
 * code, rules, and the same message and fix once each endpoint's own
 * subject and address are taken out. Findings about anything else (the
 * domain, an MX host) stay as they are.
 */
function grouped(items: FixItem[], endpoints: ReadonlyMap<string, EndpointInfo>): FixItem[] {
  const groups = new Map<string, { members: FixItem[]; message: string; fix: string[] }>();
  for (const f of items) {
    const info = endpoints.get(f.subject);
    const message = info ? template(f.message, f.subject, info) : f.message;
    const fix = info ? f.fix.map((h) => template(h, f.subject, info)) : f.fix;
    const key = info
      ? JSON.stringify([f.status, f.code, f.rules, message, fix])
      : JSON.stringify(['one', f.subject, f]);
    const group = groups.get(key);
    if (group) group.members.push(f);
    else groups.set(key, { members: [f], message, fix });
  }
  return [...groups.values()].map(({ members, message, fix }) => {
    const sorted = [...members].sort((a, b) => compareSubjects(a.subject, b.subject));
    const first = sorted[0]!;
    if (sorted.length === 1) return first;
    return {
      ...first,
      subject: groupLabel(sorted, endpoints),
      subjects: sorted.map((m) => m.subjects[0]!),
      message: wordForAll(message),
      fix: fix.map(wordForAll),
    };
  });
}

/** Sorted (a group by its first endpoint), with "as above" marked where a finding repeats the code and fix of the one before it. */
function ordered(items: FixItem[]): FixItem[] {
  const key = (f: FixItem) => ({ ...f, subject: f.subjects[0]?.text ?? f.subject });
  const sorted = [...items].sort((a, b) => compareFindings(key(a), key(b)));
  return sorted.map((f, i) => {
    const prev = sorted[i - 1];
    const fixAsAbove =
      prev !== undefined && f.fix.length > 0 && prev.code === f.code && prev.fix.join('\n') === f.fix.join('\n');
    return { ...f, fixAsAbove };
  });
}

/**
 * The findings of `states`; a state without a subject concerns `domain`.
 * `endpoints` maps an endpoint subject to its section's anchor, its address
 * and its MX names.
 */
export function buildFindings(
  states: readonly CheckState[],
  domain: string,
  endpoints: ReadonlyMap<string, EndpointInfo>,
): Findings {
  const item = (s: CheckState): FixItem => {
    const subject = sanitize(s.subject ?? domain);
    const anchor = endpoints.get(s.subject ?? '')?.anchor ?? null;
    return {
      ...statusView(s.status),
      subject,
      subjects: [{ text: subject, anchor }],
      message: sanitize(s.message),
      fix: fixHints(s).map(sanitize),
      code: sanitize(s.code ?? s.rule ?? 'unnamed'),
      rule: '',
      rules: s.rule ? [sanitize(s.rule)] : [],
      by: '',
      saidBy: null,
      fixAsAbove: false,
      anchor,
    };
  };
  const notOk = states.filter((s) => s.status !== Status.OK);
  const merged = merge(notOk.map(item));
  const isRemark = (f: FixItem) => severity(f.status) <= severity(Status.INFO);
  const isUntested = (f: FixItem) => isConsequence(f);
  const fixes = ordered(
    grouped(
      merged.filter((f) => !isUntested(f) && !isRemark(f)),
      endpoints,
    ),
  );
  const remarks = ordered(
    grouped(
      merged.filter((f) => !isUntested(f) && isRemark(f)),
      endpoints,
    ),
  );
  const untested = ordered(grouped(merged.filter(isUntested), endpoints));
  let nothingToFix: string | null = null;
  if (states.length === 0) nothingToFix = 'No rule states given.';
  else if (fixes.length === 0)
    nothingToFix = untested.length > 0 ? 'Nothing to fix among what could be tested.' : 'Nothing to fix.';
  return { fixes, remarks, untested, bySubject: ordered(merged), nothingToFix };
}
