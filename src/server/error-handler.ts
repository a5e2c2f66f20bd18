/**
 * How the service answers what went wrong: `{error}` with the status of the
 * error's code (HTTP_STATUS), a 5xx without any internal detail (those go to
 * the log, under the request id the answer quotes), and body schema errors
 * phrased to name the offending field.
 */
import type { FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { describeSchemaError, schemaProblem, type SchemaProblem } from '../model/ajv.js';
import type { ErrorResponse } from '../model/protocol.js';
import { HTTP_STATUS, HttpError, isPublic, toCheckerError } from './http-error.js';
import type { ServiceApp } from './service-deps.js';

export interface ErrorAnswer {
  status: number;
  message: string;
}

/** The status and caller-facing message for `error`; a 5xx is logged with its details. */
export function errorAnswer(error: unknown, request: FastifyRequest): ErrorAnswer {
  const checkerError = toCheckerError(error);
  const status = HTTP_STATUS[checkerError.code];
  if (isPublic(status)) return { status, message: checkerError.message };
  request.log.error({ err: error, code: checkerError.code }, 'request failed');
  return { status, message: `Internal error (request ${request.id}).` };
}

export function registerErrorHandlers(app: ServiceApp): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, message } = errorAnswer(error, request);
    return reply.code(status).send({ error: message } satisfies ErrorResponse);
  });
  // The methods of every route, for the 405's Allow header (fastify itself answers 404).
  const methods = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const set = methods.get(route.url) ?? new Set<string>();
    for (const m of [route.method].flat()) set.add(m);
    methods.set(route.url, set);
  });
  // As the SDK's Go server (net/http's ServeMux) answers: text, 405 with Allow for a known path.
  app.setNotFoundHandler((request, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = methods.get(path);
    reply.type('text/plain; charset=utf-8');
    if (allowed && !allowed.has(request.method)) {
      const allow = [...allowed].sort().join(', ');
      return reply
        .code(HTTP_STATUS['http.method_not_allowed'])
        .header('allow', allow)
        .send(`Method not allowed: ${path} takes ${allow}, not ${request.method}.\n`);
    }
    return reply.code(HTTP_STATUS['http.not_found']).send(`No route ${request.method} ${path}.\n`);
  });
}

/**
 * Turns Ajv's complaint about a request part into one 400, for instance
 * `Invalid request: body/states/0 must have required property 'status'.`
 * An observation inside the body (`observations` maps the pointer where it
 * sits to the field name a person knows) is described from its own root,
 * as validateObservation() does: `data is not a checker-smtp observation:
 * /endpoints/0: must have required property 'reverse_dns'`.
 */
export function bodyErrorFormatter(observations: Readonly<Record<string, string>> = {}) {
  return (errors: FastifySchemaValidationError[], dataVar: string): HttpError => {
    const problem = firstProblem(errors);
    const root = Object.keys(observations).find((p) => isWithin(problem.instancePath, p));
    const message =
      root === undefined
        ? `${dataVar}${problem.instancePath} ${schemaProblem(problem)}`
        : `${observations[root]} is not a checker-smtp observation: ${describeSchemaError(problem, root)}`;
    return new HttpError('http.body_invalid', `Invalid request: ${message}.`);
  };
}

/**
 * The first problem Ajv met, which names the deepest field of the first
 * branch tried. A value of the wrong type for a nullable field fails both
 * branches at one place: "must be object or null", not two problems.
 */
function firstProblem(errors: FastifySchemaValidationError[]): SchemaProblem {
  const [first, ...rest] = errors;
  if (first === undefined) return { instancePath: '', keyword: 'unknown', message: 'is invalid', params: {} };
  if (first.keyword !== 'type') return first;
  const types = [first, ...rest.filter((e) => e.keyword === 'type' && e.instancePath === first.instancePath)];
  return { ...first, message: `must be ${types.map((e) => String(e.params['type'])).join(' or ')}` };
}

function isWithin(pointer: string, root: string): boolean {
  return pointer === root || pointer.startsWith(`${root}/`);
}
