/**
 * What a SASL mechanism gives away when a client uses it without TLS. Only
 * mechanisms that send a reusable secret put credentials in clear text; the
 * others expose less, and saying "clear text" of them would blame a server
 * for what it does not do.
 */

/**
 * `cleartext`: the password or a bearer token crosses as sent (RFC 4616
 * PLAIN, LOGIN, RFC 7628 OAUTHBEARER, XOAUTH2); `offline`: a
 * challenge-response over the password, so an eavesdropper sees the user
 * name and can attack the recorded exchange offline (CRAM-MD5, DIGEST-MD5,
 * NTLM, SCRAM); `protected`: neither a secret nor an exchange to attack
 * (Kerberos, SRP, one-time passwords); `none`: no credentials at all
 * (ANONYMOUS, EXTERNAL, which relies on what is below SASL); `unknown`.
 */
export type AuthExposure = 'cleartext' | 'offline' | 'protected' | 'none' | 'unknown';

const EXPOSURE: Readonly<Record<string, AuthExposure>> = {
  PLAIN: 'cleartext',
  LOGIN: 'cleartext',
  OAUTHBEARER: 'cleartext',
  XOAUTH2: 'cleartext',
  'DIGEST-MD5': 'offline',
  NTLM: 'offline',
  MSN: 'offline',
  GSSAPI: 'protected',
  'GSS-SPNEGO': 'protected',
  KERBEROS_V4: 'protected',
  KERBEROS_V5: 'protected',
  SRP: 'protected',
  OTP: 'protected',
  SKEY: 'protected',
  ANONYMOUS: 'none',
  EXTERNAL: 'none',
};

/** Families named by prefix: CRAM-MD5, CRAM-SHA256…; SCRAM-SHA-1, SCRAM-SHA-256-PLUS…; GS2-KRB5… */
const PREFIXES: readonly [string, AuthExposure][] = [
  ['CRAM-', 'offline'],
  ['SCRAM-', 'offline'],
  ['GS2-', 'protected'],
];

/** What `mechanism` (as advertised, any case) exposes without TLS. */
export function authExposure(mechanism: string): AuthExposure {
  const name = mechanism.toUpperCase();
  if (Object.hasOwn(EXPOSURE, name)) return EXPOSURE[name]!;
  return PREFIXES.find(([prefix]) => name.startsWith(prefix))?.[1] ?? 'unknown';
}

/** How bad each exposure is, worst first: the order a message picks what to say. */
export const EXPOSURE_ORDER: readonly AuthExposure[] = ['cleartext', 'offline', 'unknown', 'protected', 'none'];

/** The worst exposure among `mechanisms`; `unknown` when none is listed (AUTH alone says nothing of them). */
export function worstExposure(mechanisms: readonly string[]): AuthExposure {
  if (mechanisms.length === 0) return 'unknown';
  const found = new Set(mechanisms.map(authExposure));
  return EXPOSURE_ORDER.find((e) => found.has(e))!;
}
