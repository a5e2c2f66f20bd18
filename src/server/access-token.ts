/**
 * The optional access token of a hosted deployment: required on every route
 * but /health, as a bearer header (hosts, scripts) or, for the browser page,
 * a form field that is then remembered in a cookie.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const TOKEN_COOKIE = 'checker_smtp_token';
export const TOKEN_FIELD = 'token';

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
