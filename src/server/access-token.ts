/**
 * The optional access token of a hosted deployment: required on every route
 * but /health, as a bearer header (scripts), as the password of HTTP Basic
 * (happyDomain's Go client turns `http://user:TOKEN@checker:8080` into that)
 * or, for the browser page, a form field then remembered in a cookie. The
 * cookie holds an HMAC of the token under a secret of this process, never
 * the token itself: a stolen cookie does not reveal it, opens nothing but
 * the page, and dies with the process.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_COOKIE = 'checker_smtp_token';
export const TOKEN_FIELD = 'token';

/** Bytes of the per-process secret the cookie is derived with: the HMAC's own block-size key strength. */
const COOKIE_SECRET_BYTES = 32;

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison (hashing first makes the lengths equal). */
export function tokenMatches(expected: string, given: unknown): boolean {
  return typeof given === 'string' && given.length > 0 && timingSafeEqual(digest(expected), digest(given));
}

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1]! : null;
}

/**
 * The password of an `Authorization: Basic …` header (RFC 7617), if any: the
 * user name is not checked, so any `user:TOKEN@` in an endpoint URL works.
 */
export function basicPassword(header: string | undefined): string | null {
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? null : decoded.slice(colon + 1);
}

/** What the page's cookie holds for a token: HMAC-SHA256 under a secret only this process knows. */
export interface CookieSeal {
  /** The cookie value that stands for `token`. */
  seal(token: string): string;
  /** Whether a cookie value stands for `token` (constant time). */
  opens(token: string, cookie: unknown): boolean;
}

export function createCookieSeal(secret: Buffer = randomBytes(COOKIE_SECRET_BYTES)): CookieSeal {
  const seal = (token: string) => createHmac('sha256', secret).update(token, 'utf8').digest('base64url');
  return { seal, opens: (token, cookie) => tokenMatches(seal(token), cookie) };
}
