/**
 * The access token of a hosted deployment, required on every route but
 * /health: as a bearer header (hosts, scripts) or, on the browser page, as a
 * form field then remembered in a cookie for that page only.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_STATUS } from '../http-error.js';
import { bearerToken, TOKEN_COOKIE, TOKEN_FIELD, tokenMatches } from '../access-token.js';
import { checkFormPage, formValues } from '../check-page.js';
import type { ErrorResponse } from '../../model/protocol.js';
import type { ServiceApp } from '../service-deps.js';

const OPEN_ROUTE = '/health';
const PAGE_ROUTE = '/check';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function registerAccessToken(app: ServiceApp, token: string): void {
  // preValidation: after the body is parsed (the form may carry the token), before it is
  // validated (a caller without the token learns nothing from schema errors).
  app.addHook('preValidation', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === OPEN_ROUTE || route === undefined) return;
    if (tokenMatches(token, bearerToken(request.headers.authorization))) return;
    if (route === PAGE_ROUTE) return pageGuard(token, request, reply);
    reply.header('www-authenticate', 'Bearer realm="checker-smtp"');
    return reply.code(HTTP_STATUS['http.unauthorized']).send({
      error: 'Missing or invalid access token: send "Authorization: Bearer <token>".',
    } satisfies ErrorResponse);
  });
}

/** The page takes the cookie, or the form field (then sets the cookie); otherwise it asks for the token. */
async function pageGuard(
  token: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  if (tokenMatches(token, request.cookies[TOKEN_COOKIE])) return undefined;
  const form = request.method === 'POST' && isRecord(request.body) ? request.body : undefined;
  if (tokenMatches(token, form?.[TOKEN_FIELD])) {
    reply.setCookie(TOKEN_COOKIE, token, { path: PAGE_ROUTE, httpOnly: true, sameSite: 'strict', secure: 'auto' });
    return undefined;
  }
  const given = form?.[TOKEN_FIELD] !== undefined && form[TOKEN_FIELD] !== '';
  const values = request.method === 'POST' ? formValues(form ?? {}) : undefined;
  return reply
    .code(HTTP_STATUS['http.unauthorized'])
    .type('text/html; charset=utf-8')
    .send(
      checkFormPage({
        values,
        error: given ? 'That access token is not valid.' : 'This checker needs an access token.',
        needsToken: true,
      }),
    );
}
