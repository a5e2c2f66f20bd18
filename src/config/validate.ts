/**
 * Input validation for everything a user or host can put on the wire:
 * hostnames (domain, EHLO name) and the relay-probe addr-spec. Nothing typed
 * by a user reaches an SMTP command without passing through here first.
 */
import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';
import { quote } from '../model/text.js';

/** RFC 1035 §2.3.4: 253 characters in text form (255 octets on the wire). */
const MAX_HOSTNAME_LENGTH = 253;
/** RFC 1035 §2.3.4: 63 octets per label. */
const MAX_LABEL_LENGTH = 63;
/** RFC 5321 §4.5.3.1.1: local part at most 64 octets. */
const MAX_LOCAL_PART_LENGTH = 64;

const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
/** RFC 5321 atext (dot-atom local part), ASCII only. */
const ATEXT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;

/** Characters that can end, split or smuggle an SMTP command. */
const FORBIDDEN = /[\r\n\0<>\s\x00-\x1f\x7f]/;

export type Validation = { ok: true; value: string } | { ok: false; reason: string };

/** Kept for callers that quote through this module (the server); the one definition is the model's. */
export { quote };

function describeForbidden(value: string): string | null {
  const m = FORBIDDEN.exec(value);
  if (!m) return null;
  const ch = m[0];
  const names: Record<string, string> = {
    '\r': 'a carriage return (CR)',
    '\n': 'a line feed (LF)',
    '\0': 'a NUL byte',
    '<': 'a "<"',
    '>': 'a ">"',
    ' ': 'a space',
    '\t': 'a tab',
  };
  // Named by code point: the character itself is invisible, or worse, in a message.
  const codePoint = `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return names[ch] ?? (/\s/.test(ch) ? `a white-space character (${codePoint})` : `the control character ${codePoint}`);
}

/**
 * Validate and normalise a hostname: trims one trailing dot, lower-cases,
 * converts IDN to A-labels, checks LDH labels and lengths. Address literals
 * are refused: an MX domain or EHLO name must be a name.
 */
export function validateHostname(input: string): Validation {
  if (input.length === 0) return { ok: false, reason: 'is empty' };
  const bad = describeForbidden(input);
  if (bad) return { ok: false, reason: `contains ${bad}` };
  if (isIP(input) || /^\[.*\]$/.test(input)) return { ok: false, reason: 'is an IP address, not a host name' };
  let name = input.endsWith('.') ? input.slice(0, -1) : input;
  if (/[^\x20-\x7e]/.test(name)) {
    const ascii = domainToASCII(name);
    if (ascii === '') return { ok: false, reason: 'is not a valid internationalised domain name' };
    name = ascii;
  }
  name = name.toLowerCase();
  if (name.length === 0) return { ok: false, reason: 'is empty' };
  if (name.length > MAX_HOSTNAME_LENGTH)
    return { ok: false, reason: `is longer than ${MAX_HOSTNAME_LENGTH} characters` };
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0) return { ok: false, reason: 'has an empty label (two dots in a row, or a leading dot)' };
    if (label.length > MAX_LABEL_LENGTH)
      return { ok: false, reason: `has a label longer than ${MAX_LABEL_LENGTH} characters` };
    if (!LDH_LABEL.test(label)) {
      return { ok: false, reason: `has an invalid label ${quote(label)} (letters, digits and inner hyphens only)` };
    }
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return { ok: false, reason: 'ends in an all-numeric label' };
  return { ok: true, value: name };
}

/** Validate a plain addr-spec (local@domain): dot-atom local part, hostname domain. */
export function validateAddress(input: string): Validation {
  if (input.length === 0) return { ok: false, reason: 'is empty' };
  const bad = describeForbidden(input);
  if (bad) return { ok: false, reason: `contains ${bad}` };
  const at = input.lastIndexOf('@');
  if (at <= 0 || at === input.length - 1) return { ok: false, reason: 'is not an address of the form local@domain' };
  const local = input.slice(0, at);
  const domain = input.slice(at + 1);
  if (local.length > MAX_LOCAL_PART_LENGTH)
    return { ok: false, reason: `has a local part longer than ${MAX_LOCAL_PART_LENGTH} characters` };
  if (!local.split('.').every((atom) => ATEXT_ATOM.test(atom))) {
    return {
      ok: false,
      reason: `has an invalid local part ${quote(local)} (quoted strings and special characters are not accepted)`,
    };
  }
  const host = validateHostname(domain);
  if (!host.ok) return { ok: false, reason: `has a domain that ${host.reason}` };
  return { ok: true, value: `${local}@${host.value}` };
}

/** The name equals the domain or lies under it. */
export function isWithinDomain(name: string, domain: string): boolean {
  const n = name.toLowerCase();
  const d = domain.toLowerCase();
  return n === d || n.endsWith(`.${d}`);
}
