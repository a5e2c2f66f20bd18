/**
 * The small words every part of the report model shares: how a status, a
 * duration, a reply or a distinguished name reads. Each is written once
 * here, so the terminal and the HTML report cannot drift apart.
 */
import type { Reply } from '../model/observation.js';
import { STATUS_NAMES, type StatusValue } from '../model/status.js';
import { plural, sanitize } from '../model/text.js';

/** How a cell reads at a glance; the text always says it too. */
export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

export interface Cell {
  text: string;
  tone: Tone;
}

export interface KeyValue {
  label: string;
  value: string;
}

export interface StatusView {
  status: StatusValue;
  /** "CRIT", "WARN"…: the status as text, never colour alone. */
  label: string;
  /** CSS-safe lower-case name: "crit", "warn"… */
  key: string;
}

/** A server reply: every line, and its first line with a count of the others, for one-line layouts. */
export interface ReplyView {
  lines: string[];
  first: string;
  /** What a one-line layout adds after the first line: " (+3 lines)" when there are more, and any note. */
  more: string;
}

/** What a value that was never measured or received reads as. */
export const NONE = '—';
/** A stage the dialogue never got to. */
export const NOT_REACHED = 'not reached';
/** An EHLO answer that advertised no extension. */
export const NONE_ADVERTISED = 'none advertised';

export function statusView(status: StatusValue): StatusView {
  const label = STATUS_NAMES[status] ?? 'UNKNOWN';
  return { status, label, key: label.toLowerCase() };
}

/** A duration in whole milliseconds; NONE for a stage never reached. */
export function duration(ms: number | null): string {
  return ms === null ? NONE : `${Math.round(ms)} ms`;
}

export function replyView(r: Reply): ReplyView {
  const lines = r.lines.map(sanitize);
  return {
    lines,
    first: lines[0] ?? String(r.code),
    more: lines.length > 1 ? ` (+${plural(lines.length - 1, 'line')})` : '',
  };
}

/** "CN=mx1.example.com, O=Example": a certificate subject or issuer, in the order the certificate gives. */
export function distinguishedName(name: Record<string, string>): string {
  return sanitize(
    Object.entries(name)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ') || '(empty)',
  );
}

export function yesNo(v: string | boolean | null): string {
  return v === true ? 'yes' : v === false ? 'no' : sanitize(String(v));
}
