/**
 * What people paste where a domain is asked for: a web address
 * ("https://shop.example/cart"), a mail address ("user@shop.example",
 * "mailto:…", "<…>"), a trailing dot or spaces. Reduced to the domain they
 * mean, before validation judges it; the caller tells the user once what
 * was taken from what. Used by every front that takes a domain from a person
 * (the check command, a batch of domains).
 */

export interface DomainInput {
  /** The domain to validate: the input itself when nothing was taken away. */
  domain: string;
  /** The input as given, when something was taken away; null when it was taken as it is. */
  from: string | null;
}

/** A URL scheme, as RFC 3986 §3.1 spells one: "https://", "smtp://". */
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** Characters no reduction touches: an input holding one goes to validation as is, to be refused there by name. */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/**
 * The domain in `input`, and what it came from when that differs. Never
 * invents anything: what is left is still validated as a host name, so an
 * input that is no domain at all ("https://[::1]/", "a b") is refused there.
 */
export function domainFromInput(input: string): DomainInput {
  // Spaces and tabs around a paste go first: a tab is a control character, but not inside.
  let s = input.replace(/^[ \t]+|[ \t]+$/g, '');
  if (CONTROL.test(s)) return { domain: input, from: null };
  if (SCHEME.test(s)) {
    s = s.replace(SCHEME, ''); // the authority: [userinfo@]host[:port], then path, query or fragment
    s = s.split(/[/?#]/, 1)[0]!;
  } else {
    s = s.replace(/^mailto:/i, '');
    const angled = /^<([^<>]*)>$/.exec(s);
    if (angled) s = angled[1]!;
    s = s.split(/[/?#]/, 1)[0]!;
  }
  const at = s.lastIndexOf('@');
  if (at !== -1) s = s.slice(at + 1);
  // A port after a name or an IPv4 address (one colon only: IPv6 is left for validation to refuse).
  s = s.replace(/^([^:[\]]+):\d*$/, '$1');
  s = s.replace(/\.+$/, '');
  return s === input || s === '' ? { domain: input, from: null } : { domain: s, from: input };
}
