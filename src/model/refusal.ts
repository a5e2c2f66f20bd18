/**
 * What a refusal is about. A 4xx or 5xx at MAIL or RCPT may refuse the
 * recipient (the answer we asked for), relaying (the healthy answer to the
 * relay probe), or the checker itself: its address (no reverse DNS, a
 * blocklist), its HELO name, its MAIL FROM, its rate, or its lack of TLS.
 * Only the first two say something about the server's handling of mail for
 * the domain; the others are about who asked, and a verdict built on them
 * would blame the server for what the checker is.
 *
 * The enhanced status code decides first (RFC 3463, RFC 7372, and the
 * well-known vendor extensions of Microsoft and Google), then the reply text
 * as Postfix, Exim, Sendmail, Haraka, Microsoft and Google word it. The
 * tables are data: a new wording is a new row, tested in refusal.test.ts.
 */
import type { Reply } from './observation.js';

export type RefusalTarget =
  /** The checker's IP address: no or unconfirmed reverse DNS, a blocklist, a banned or dynamic range. */
  | 'client'
  /** The checker's HELO/EHLO name: does not resolve, not fully qualified, not matching. */
  | 'helo'
  /** The reverse-path the checker sent: its domain does not resolve, sender verification, SPF. */
  | 'sender'
  /** The server wants STARTTLS before mail transactions (RFC 3207 §4 forbids this on a public MX). */
  | 'tls_required'
  /** Too many connections, messages or errors from this client: possibly the checker's own doing. */
  | 'rate'
  /** Greylisting: come back later. */
  | 'greylist'
  /** Relaying refused: the recipient's domain is not one the server accepts mail for. */
  | 'relay'
  /** The recipient address itself: no such user, mailbox unavailable, refused by a recipient check. */
  | 'recipient'
  /** Nothing recognisable. */
  | 'unknown';

export interface RefusalClass {
  target: RefusalTarget;
  /** What decided: the enhanced status code, the reply text, or nothing. */
  basis: 'enhanced' | 'text' | 'none';
  /** The code or the words that decided ("5.7.25", "Client host rejected"). */
  evidence: string | null;
}

/** The refusal concerns the checker's identity or behaviour, not the mail it asked about. */
export function aimedAtChecker(target: RefusalTarget): boolean {
  return (
    target === 'client' || target === 'helo' || target === 'sender' || target === 'rate' || target === 'tls_required'
  );
}

/**
 * Enhanced status codes with one meaning, "class.subject.detail" without the
 * class (X.7.25 means the same in 4.7.25 and 5.7.25). Codes whose meaning
 * depends on the server (X.7.1 "delivery not authorized" is used for relay
 * denials, HELO checks and blocklists alike; X.7.0, X.0.0) are absent: the
 * text decides those.
 */
const ENHANCED: Readonly<Record<string, RefusalTarget>> = {
  // RFC 7372 §3: X.7.25 reverse DNS validation failed (the client's PTR).
  '7.25': 'client',
  // RFC 7372: X.7.23 SPF validation failed, X.7.24 SPF validation error, X.7.26 multiple authentication checks failed.
  '7.23': 'sender',
  '7.24': 'sender',
  '7.26': 'sender',
  // RFC 7505 §4.2: X.7.27 the sender address has a null MX.
  '7.27': 'sender',
  // RFC 3463 §3.2: X.1.7 bad sender's mailbox address syntax, X.1.8 bad sender's system address.
  '1.7': 'sender',
  '1.8': 'sender',
  // RFC 3463 §3.2: X.1.1 bad destination mailbox, X.1.2 bad destination system, X.1.3 bad destination syntax,
  // X.1.6 destination mailbox moved; RFC 7505 §4.1: X.1.10 recipient address has a null MX.
  '1.1': 'recipient',
  '1.2': 'recipient',
  '1.3': 'recipient',
  '1.6': 'recipient',
  '1.10': 'recipient',
  // RFC 3463 §3.3: X.2.1 mailbox disabled, X.2.2 mailbox full.
  '2.1': 'recipient',
  '2.2': 'recipient',
  // RFC 3463 §3.8: X.7.11 encryption required for requested authentication mechanism… the server wants TLS.
  '7.11': 'tls_required',
  // Microsoft Exchange Online: X.7.54 unable to relay recipient in non-accepted domain.
  '7.54': 'relay',
  // Google: X.7.28 unusual rate of unsolicited mail from your IP.
  '7.28': 'rate',
  // Microsoft: X.7.500 server busy / access denied, X.7.511 banned sender IP.
  '7.500': 'rate',
  '7.511': 'client',
};

/** Microsoft X.7.606–X.7.649: "Access denied, banned sending IP". */
const MICROSOFT_BANNED_IP = { min: 606, max: 649 };

/**
 * Reply texts, checked in order: the first match wins. The order goes from
 * most to least specific about the checker, because a text such as Postfix's
 * "Client host rejected: cannot find your hostname" must not be read as a
 * recipient refusal for containing "rejected".
 */
const TEXT: readonly (readonly [RefusalTarget, RegExp])[] = [
  // Postfix smtpd_tls_security_level = encrypt: "530 5.7.0 Must issue a STARTTLS command first".
  [
    'tls_required',
    /\bstarttls\b.*\b(first|required|needed|must)\b|\bmust issue a starttls\b|\bencryption required\b|\btls required\b/i,
  ],
  // Postfix reject_unknown_helo_hostname "Helo command rejected: Host not found", reject_non_fqdn_helo_hostname,
  // Exim helo_verify_hosts "HELO/EHLO verification failed", "syntactically invalid argument(s)" after HELO.
  [
    'helo',
    /\bhelo command rejected\b|\b(helo|ehlo)\b.*\b(not found|invalid|verif\w*|fully[- ]qualified|fqdn|does not resolve|forged|mismatch)\b/i,
  ],
  // Postfix smtpd_client_restrictions "Client host rejected: cannot find your hostname / reverse hostname",
  // reject_rbl_client "blocked using zen.spamhaus.org", Exim "rejected because … is in a black list at",
  // Google "does not have a PTR record", Microsoft "banned sending IP", Sendmail "rejected: … listed at".
  [
    'client',
    /\bclient host rejected\b|\bcannot find your (reverse )?hostname\b|\breverse (dns|lookup|hostname)\b|\bptr record\b|\bno ptr\b|\brdns\b|\bblocked using\b|\b(black|block|deny) ?list(ed)?\b|\blisted (at|in|on|by)\b|\bspamhaus\b|\bdnsbl\b|\b(banned|blocked) (sending )?ip\b|\byour ip\b|\bsending ip\b|\b(dynamic|dial-?up|residential) (ip|address|range|pool)\b|\b(poor|low|bad) reputation\b/i,
  ],
  // Postfix smtpd_sender_restrictions "Sender address rejected: Domain not found", Exim "Sender verify failed",
  // Haraka mail_from.is_resolvable "No MX for your FROM address", Sendmail "Domain of sender address … does not exist".
  [
    'sender',
    /\bsender address rejected\b|\bsender verif\w*\b|\bverification failed for\b|\bno mx for your from\b|\bdomain of sender address\b|\bsender domain\b.*\b(not found|does not exist|must (exist|resolve)|unresolvable)\b|\bunresolvable (sender|from)\b|\bspf\b/i,
  ],
  // Postfix anvil "Error: too much mail from", "too many connections from", Exim smtp_accept_max
  // "Too many concurrent SMTP connections", ratelimit ACLs, Google "unusual rate".
  [
    'rate',
    /\btoo (many|much)\b|\brate[- ]?limit\w*\b|\bunusual rate\b|\bexceeded\b.*\b(rate|limit|connections)\b|\b(connection|message) limit\b|\bserver (is )?busy\b/i,
  ],
  [
    'greylist',
    /\bgr[ae]y-?list\w*\b|\btry again later\b|\bplease (try again|retry)\b|\btemporarily (deferred|rejected)\b/i,
  ],
  // Postfix "Relay access denied", Exim "relay not permitted", Sendmail "Relaying denied", "we do not relay",
  // qmail "sorry, that domain isn't in my list of allowed rcpthosts", Haraka "I cannot deliver mail for".
  [
    'relay',
    /\brelay(ing)?\b.*\b(denied|not permitted|prohibited|not allowed|refused)\b|\b(unable|not permitted) to relay\b|\bdo not relay\b|\bno relaying\b|\ballowed rcpthosts\b|\bcannot deliver mail for\b|\bnon-accepted domain\b|\bnot (a )?local (domain|recipient)\b/i,
  ],
  [
    'recipient',
    /\buser unknown\b|\bunknown (user|recipient|mailbox)\b|\bno such (user|mailbox|recipient)\b|\bmailbox\b.*\b(unavailable|not found|does not exist|disabled|full)\b|\brecipient address rejected\b|\binvalid recipient\b|\bunrout(e)?able address\b|\baddress does not exist\b/i,
  ],
];

/** The enhanced code's subject.detail when the reply has one ("5.7.25" → "7.25"). */
function subjectDetail(reply: Reply): string | null {
  const m = /^[245]\.(\d{1,3}\.\d{1,3})$/.exec(reply.enhanced ?? '');
  return m ? m[1]! : null;
}

/** Classify a refusal (any reply; a 2xx is classified "unknown" by text rules only if it matches nothing). */
export function classifyRefusal(reply: Reply): RefusalClass {
  const detail = subjectDetail(reply);
  if (detail !== null) {
    const byCode = ENHANCED[detail];
    if (byCode) return { target: byCode, basis: 'enhanced', evidence: reply.enhanced };
    const [subject, number] = detail.split('.').map(Number);
    if (subject === 7 && number! >= MICROSOFT_BANNED_IP.min && number! <= MICROSOFT_BANNED_IP.max) {
      return { target: 'client', basis: 'enhanced', evidence: reply.enhanced };
    }
  }
  const text = replyText(reply);
  for (const [target, pattern] of TEXT) {
    const m = pattern.exec(text);
    // Greylisting is a temporary answer by definition; "try again later" in a 5xx is boilerplate.
    if (m && (target !== 'greylist' || (reply.code >= 400 && reply.code < 500))) {
      return { target, basis: 'text', evidence: m[0] };
    }
  }
  // X.7.1 "delivery not authorized, message refused" with nothing more specific: RFC 3463's own example is a
  // relay refusal, and it is what most MTAs send for one.
  if (detail === '7.1') return { target: 'relay', basis: 'enhanced', evidence: reply.enhanced };
  return { target: 'unknown', basis: 'none', evidence: null };
}

/** The reply's text without codes: "550-5.7.1 foo" + "550 5.7.1 bar" → "foo bar". */
function replyText(reply: Reply): string {
  return reply.lines.map((l) => l.replace(/^\d{3}[- ]?(?:[245]\.\d{1,3}\.\d{1,3}\s*)?/, '')).join(' ');
}
