/**
 * What a 220 greeting announces first. RFC 5321 §4.2 and §4.3.1: the
 * greeting's first line is `220 <Domain / address-literal> [text]`, so a
 * sender (and whoever reads its logs) knows which host it reached.
 * Pure and lenient: anything shaped like a host name or an address literal
 * counts, so only greetings that plainly name no host are reported.
 */
import type { Reply } from '../model/observation.js';

/**
 * `domain`: a host name (or a bare address) comes first; `address_literal`:
 * `[192.0.2.1]` or `[IPv6:…]`; `masked`: the text is all asterisks, as a
 * firewall's SMTP inspection leaves it; `missing`: no name comes first.
 */
export type GreetingDomain = 'domain' | 'address_literal' | 'masked' | 'missing';

/** LDH labels (underscores tolerated, as resolvers do), an optional final dot. */
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;
/** RFC 5321 §4.1.3, loosely: brackets around something without spaces. */
const ADDRESS_LITERAL = /^\[[^\][\s]+\]$/;
/** Punctuation some banners put right after the name ("mx.example.com, ESMTP"). */
const TRAILING_PUNCTUATION = /[,;:]$/;
/** Words that are the protocol, not a host: "220 ESMTP Postfix" names no host. */
const PROTOCOL_WORDS: ReadonlySet<string> = new Set(['ESMTP', 'SMTP', 'LMTP']);
/**
 * Cisco PIX "fixup smtp" and ASA "inspect esmtp" replace every character of
 * the banner with `*` but for spaces and the digits 0 and 2.
 */
const MASKED = /^[*02\s]*\*[*02\s]*$/;

/** The longest host name (RFC 1035 §2.3.4), beyond which a word is not one. */
const MAX_DOMAIN_CHARS = 255;

/** How the greeting's first line begins, after its code. */
export function greetingDomain(greeting: Reply): GreetingDomain {
  const text = (greeting.lines[0] ?? '').slice(4).trim();
  if (MASKED.test(text)) return 'masked';
  const word = (text.split(/\s+/)[0] ?? '').replace(TRAILING_PUNCTUATION, '');
  if (ADDRESS_LITERAL.test(word)) return 'address_literal';
  if (word.length > MAX_DOMAIN_CHARS || PROTOCOL_WORDS.has(word.toUpperCase())) return 'missing';
  return HOST_NAME.test(word) ? 'domain' : 'missing';
}
