/**
 * The access token of a hosted deployment, required on every route but
 * /health: as a bearer header (scripts), the password of HTTP Basic (hosts
 * whose endpoint URL carries `user:TOKEN@`), or, on the browser page, a form
 * field then remembered in a cookie (an HMAC of the token, see
 * access-token.ts) for that page only. Wrong tokens count against a
 * per-client budget on every route: past it, 429 until the window ends.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MAX_TOKEN_FAILURES_PER_MINUTE } from '../../model/limits.js';
import type { ErrorResponse } from '../../model/protocol.js';
import { HTTP_STATUS } from '../http-error.js';
import {
  basicPassword,
  bearerToken,
  createCookieSeal,
  TOKEN_COOKIE,
  TOKEN_FIELD,
  tokenMatches,
  type CookieSeal,
} from '../access-token.js';
import { checkFormPage, formValues } from '../check-page.js';
import { clientKey } from '../client-key.js';
import type { ServiceApp } from '../service-deps.js';
import { FailureBudget } from './failure-budget.js';

/** Routes open without the token: the health probe, and the root that only redirects to the page. */
const OPEN_ROUTES = new Set(['/health', '/']);
const PAGE_ROUTE = '/check';
/** The failure budget's window: per client, per minute. */
const FAILURE_WINDOW_MS = 60_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const given = (v: unknown): v is string => typeof v === 'string' && v !== '';

export interface AccessTokenOptions {
  /** Injected by tests: the clock of the failure budget. */
  now?: () => number;
}

export function registerAccessToken(app: ServiceApp, token: string, options: AccessTokenOptions = {}): void {
  const failures = new FailureBudget(MAX_TOKEN_FAILURES_PER_MINUTE, FAILURE_WINDOW_MS, options.now);
  const cookieSeal = createCookieSeal();

  // preValidation: after the body is parsed (the form may carry the token), before it is
  // validated (a caller without the token learns nothing from schema errors).
  app.addHook('preValidation', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined || OPEN_ROUTES.has(route)) return;
    const key = clientKey(request.ip);
    const waitMs = failures.blockedFor(key);
    if (waitMs > 0) return tooManyFailures(request, reply, route, waitMs);

    const header = request.headers.authorization;
    const sent = [bearerToken(header), basicPassword(header)].filter(given);
    if (sent.some((s) => tokenMatches(token, s))) return;
    if (route === PAGE_ROUTE)
      return pageGuard(token, cookieSeal, request, reply, sent.length > 0, () => failures.record(key));
    if (sent.length > 0) failures.record(key);
    reply.header('www-authenticate', 'Bearer realm="checker-smtp"');
    return reply.code(HTTP_STATUS['http.unauthorized']).send({
      error:
        'Missing or invalid access token: send "Authorization: Bearer <token>" (or HTTP Basic with the token as password).',
    } satisfies ErrorResponse);
  });
}

function tooManyFailures(request: FastifyRequest, reply: FastifyReply, route: string, waitMs: number) {
  const seconds = Math.ceil(waitMs / 1000);
  const message = `Too many wrong access tokens from your address: at most ${MAX_TOKEN_FAILURES_PER_MINUTE} per minute; retry in ${seconds} s.`;
  reply.code(HTTP_STATUS['http.rate_limited']).header('retry-after', String(seconds));
  if (route !== PAGE_ROUTE) return reply.send({ error: message } satisfies ErrorResponse);
  const fields = pageFields(request);
  return reply
    .type('text/html; charset=utf-8')
    .send(checkFormPage({ values: fields ? formValues(fields) : undefined, error: message, needsToken: true }));
}

/** What the page's request carries: the form of a POST, the query of a GET (a shared link); undefined when empty. */
function pageFields(request: FastifyRequest): Record<string, unknown> | undefined {
  const fields = request.method === 'POST' ? request.body : request.query;
  return isRecord(fields) && Object.keys(fields).length > 0 ? fields : undefined;
}

/** The page takes the cookie, or the form field (then sets the cookie); otherwise it asks for the token. */
async function pageGuard(
  token: string,
  cookieSeal: CookieSeal,
  request: FastifyRequest,
  reply: FastifyReply,
  headerSent: boolean,
  recordFailure: () => void,
): Promise<FastifyReply | undefined> {
  const cookie = request.cookies[TOKEN_COOKIE];
  if (cookieSeal.opens(token, cookie)) return undefined;
  const form = request.method === 'POST' && isRecord(request.body) ? request.body : undefined;
  const field = form?.[TOKEN_FIELD];
  if (tokenMatches(token, field)) {
    // Secure when the request came over HTTPS, as seen through a trusted proxy (--trust-proxy).
    reply.setCookie(TOKEN_COOKIE, cookieSeal.seal(token), {
      path: PAGE_ROUTE,
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
    });
    return undefined;
  }
  // A stale cookie (from before a restart) is not a guess: guessing an HMAC is hopeless anyway.
  const wrong = given(field) || headerSent;
  if (wrong) recordFailure();
  const fields = pageFields(request);
  // A first visit (nothing sent yet) is asked for the token in a neutral word; only a wrong token is an error.
  const prompt = wrong
    ? { error: 'That access token is not valid.' }
    : { notice: 'This checker asks for an access token: type it with the domain, and it is remembered for this page.' };
  return reply
    .code(HTTP_STATUS['http.unauthorized'])
    .type('text/html; charset=utf-8')
    .send(checkFormPage({ values: fields ? formValues(fields) : undefined, needsToken: true, ...prompt }));
}
