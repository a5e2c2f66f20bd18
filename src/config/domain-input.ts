/**
 * What people paste where a domain is asked for: a web address
 * ("https://shop.example/cart"), a mail address ("user@shop.example",
 * "mailto:…", "Jane <…>"), a trailing dot or spaces. One reading, two
 * uses: domainFromInput() for a domain typed on the command line or the
 * /check form (reduced, then judged by the options' validation, which names
 * what is wrong), reduceToDomain() for a line of a batch list (reduced and
 * validated at once, so a bad line becomes an error line with its reason).
 *
 *   domainFromInput('https://shop.example/cart') // { domain: 'shop.example', from: 'https://shop.example/cart' }
 *   reduceToDomain('https://Shop.Example/cart')  // { ok: true, domain: 'shop.example', kind: 'url', note: '…' }
 *   reduceToDomain('bad..name')                  // { ok: false, reason: 'has an empty label …' }
 */
import { quote } from '../model/text.js';
import { validateHostname } from './validate.js';

/** What the line was, when it was more than a bare domain. */
export type ReducedKind = 'url' | 'email';

export type DomainInput =
  | {
      ok: true;
      /** The domain to check: lower case, A-labels, no trailing dot. */
      domain: string;
      /** Set when the line was reduced: what it was, and a note naming both ("shop.example (from …)"). */
      kind: ReducedKind | null;
      note: string | null;
    }
  | { ok: false; reason: string };

/** "scheme://", the start of a URL; mailto: has no slashes. */
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const MAILTO = /^mailto:/i;
/** `Name <addr>`: the address inside the last pair of angle brackets. */
const ANGLE_ADDRESS = /<([^<>]*)>\s*$/;
/** A bare host followed by a port, a path or a query, pasted without its scheme ("shop.example/cart", "mx.example:25"). */
const HOST_WITH_TAIL = /^[^/?#:@\s]+(?::\d+(?:[/?#]|$)|[/?#])/;
/** C0, DEL and C1 controls: no pasted name has them, and a reduction must never hide one (a CR could smuggle a command). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The domain a pasted line names. Accepted besides a bare domain: a URL
 * with any scheme that has a host (`https://shop.example:8443/x?y` →
 * `shop.example`), a host with a path but no scheme, an e-mail address
 * (`jane@shop.example`, `mailto:jane@shop.example?subject=x`, `Jane
 * <jane@shop.example>`): the domain after the last `@`. The result is
 * validated as a host name (IDN converted to A-labels), so what comes back
 * is safe to check; the reason otherwise quotes the bad part.
 */
export function reduceToDomain(line: string): DomainInput {
  const text = line.trim();
  if (text === '') return { ok: false, reason: 'is empty' };
  const control = CONTROL.exec(text);
  if (control) {
    const codePoint = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    const name = control[0] === '\r' ? 'a carriage return (CR)' : `the control character ${codePoint}`;
    return { ok: false, reason: `${quote(text)} contains ${name}` };
  }
  const reduced = reduce(text);
  if ('reason' in reduced) return { ok: false, reason: reduced.reason };
  const name = validateHostname(reduced.host);
  if (!name.ok) {
    const what = reduced.kind === null ? '' : ` (the host of ${describeKind(reduced.kind)} ${quote(text)})`;
    return { ok: false, reason: `${quote(reduced.host)}${what} ${name.reason}` };
  }
  return {
    ok: true,
    domain: name.value,
    kind: reduced.kind,
    note: reduced.kind === null ? null : `${name.value} (from ${quote(text).slice(1, -1)})`,
  };
}

function describeKind(kind: ReducedKind): string {
  return kind === 'url' ? 'the URL' : 'the e-mail address';
}

type Reduced = { host: string; kind: ReducedKind | null } | { reason: string };

function reduce(text: string): Reduced {
  const angled = ANGLE_ADDRESS.exec(text);
  if (angled) return fromAddress(angled[1]!.trim(), text);
  if (MAILTO.test(text)) return fromAddress(text.replace(MAILTO, '').split('?')[0]!, text);
  if (URL_SCHEME.test(text)) return fromUrl(text);
  if (text.includes('@')) return fromAddress(text, text);
  if (HOST_WITH_TAIL.test(text)) return fromUrl(`http://${text}`);
  return { host: text, kind: null };
}

function fromUrl(text: string): Reduced {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { reason: `${quote(text)} looks like a URL but does not parse as one` };
  }
  // WHATWG URL keeps IDN hosts as A-labels already, and IPv6 hosts in brackets (refused below as an address).
  if (url.hostname === '') return { reason: `the URL ${quote(text)} has no host` };
  return { host: url.hostname, kind: 'url' };
}

function fromAddress(address: string, text: string): Reduced {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1)
    return { reason: `${quote(text)} is neither a domain nor an e-mail address of the form local@domain` };
  return { host: address.slice(at + 1), kind: 'email' };
}

export interface PastedDomain {
  /** The domain to validate: the input itself when nothing was taken away. */
  domain: string;
  /** The input as given, when something was taken away; null when it was taken as it is. */
  from: string | null;
}

/**
 * The domain in `input`, and what it came from when that differs: the same
 * reading as reduceToDomain(), but leaving the judging to the options'
 * validation, which names what is wrong. Never invents anything: an input
 * that names no domain ("https://", "user@", a control character) comes back
 * untouched, and what is left of the rest ("https://[::1]/" → "[::1]") is
 * still refused there.
 */
export function domainFromInput(input: string): PastedDomain {
  // Spaces and tabs around a paste go first: a tab is a control character, but not inside.
  const text = input.replace(/^[ \t]+|[ \t]+$/g, '');
  if (text === '' || CONTROL.test(text)) return { domain: input, from: null };
  const reduced = reduce(text);
  if ('reason' in reduced) return { domain: input, from: null };
  const host = reduced.host.replace(/\.+$/, '');
  return host === input || host === '' ? { domain: input, from: null } : { domain: host, from: input };
}
