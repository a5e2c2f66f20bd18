/**
 * Text for people, made safe and worded once. Everything a server, a host or
 * a user sent us can carry characters that drive a terminal, reorder a line
 * or split a log entry; this module is the single place that says which
 * characters those are, and the functions every layer uses to show or quote
 * such text.
 */

/**
 * C0 controls, DEL and C1 controls: a terminal obeys them (ESC starts a
 * sequence that clears the screen or moves the cursor, CR overwrites a line,
 * U+009B is a one-byte CSI).
 */
const C0 = '\\u0000-\\u001f';
const DEL_AND_C1 = '\\u007f-\\u009f';
const CONTROL = C0 + DEL_AND_C1;

/**
 * Characters that change how text is laid out without being seen: the bidi
 * marks, embeddings, overrides and isolates (a reply can make "exe.txt" read
 * "txt.exe"), and the Unicode line and paragraph separators (they split a
 * line where nothing shows a break).
 */
const LAYOUT = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\u2028\\u2029';

const CONTROL_CHARACTERS = new RegExp(`[${CONTROL}]`, 'g');
const LAYOUT_CHARACTERS = new RegExp(`[${LAYOUT}]`, 'g');
const UNSAFE_RUNS = new RegExp(`[${CONTROL}${LAYOUT}]+`, 'g');
/** What JSON.stringify leaves raw among the unsafe characters: DEL, the C1 controls and the layout characters. */
const LEFT_RAW_BY_JSON = new RegExp(`[${DEL_AND_C1}${LAYOUT}]`, 'g');

/** How much of a value a message quotes back: enough to recognise it, not a dump of it. */
export const QUOTE_MAX_CHARS = 80;

const hex = (char: string, digits: number): string => char.charCodeAt(0).toString(16).padStart(digits, '0');

/**
 * Untrusted text made inert for display (terminal or page): controls become
 * visible `\xNN` escapes, layout characters `\uNNNN`; everything else,
 * backslashes included, stays as it is, so sanitizing twice changes nothing.
 */
export function sanitize(text: string): string {
  return text
    .replace(CONTROL_CHARACTERS, (c) => `\\x${hex(c, 2)}`)
    .replace(LAYOUT_CHARACTERS, (c) => `\\u${hex(c, 4)}`);
}

/**
 * A value quoted back in a message, as a JSON string: `"exa\u007fmple.org"`.
 * CR, LF, NUL and the other C0 controls show as JSON escapes, and the
 * unsafe characters JSON leaves raw as `\uNNNN`, so a message passed on to a
 * host, a log or a terminal is text, never a control sequence. Cut to
 * QUOTE_MAX_CHARS characters. One parameter only, so `values.map(quote)`
 * cannot take the index for a limit.
 */
export function quote(value: string): string {
  return quoteAtMost(value, QUOTE_MAX_CHARS);
}

/** `quote()` with another cut: `maxChars` characters at most between the quotes, the ellipsis included. */
export function quoteAtMost(value: string, maxChars: number): string {
  return JSON.stringify(cut(value, maxChars)).replace(LEFT_RAW_BY_JSON, (c) => `\\u${hex(c, 4)}`);
}

/** Runs of unsafe characters folded to one space: for text from another program that we pass on as plain words. */
export function foldUnsafe(text: string): string {
  return text.replace(UNSAFE_RUNS, ' ');
}

/** At most `maxChars` characters (code points, never half a pair), the last one "…" when something was cut. */
export function cut(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const chars = Array.from(text);
  return chars.length <= maxChars ? text : `${chars.slice(0, Math.max(0, maxChars - 1)).join('')}…`;
}

/** "1 endpoint", "3 endpoints", "2 MX hosts"; `many` for the irregular ones. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
