/**
 * Errors of the web service and the one table that gives every error code
 * its HTTP status. Anything thrown while answering a request ends up here:
 * our own errors keep their code, fastify's client errors get one, and
 * everything else is an internal error whose details never reach the caller.
 */
import type { FastifyError } from 'fastify';
import { CheckerError, type CheckerErrorDetails, type ErrorCode } from '../model/errors.js';

/** PROTOCOL.md: request bodies over 1 MiB are refused with 400. */
export const MAX_BODY_BYTES = 1024 * 1024;

export type HttpErrorCode = Extract<ErrorCode, `http.${string}`>;

/** A refused request; the message is shown to the caller as is (unless its status is 5xx). */
export class HttpError extends CheckerError {
  constructor(code: HttpErrorCode, message: string, details: Pick<CheckerErrorDetails, 'cause'> = {}) {
    super(code, message, details);
  }
}

/**
 * The HTTP status of every error code. A `Record` over the closed union, so a
 * new code does not compile until it is given a status here.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  'option.invalid': 400,
  'command.unsafe': 400,
  'usage.invalid': 400,
  'http.body_invalid': 400,
  'http.body_too_large': 400, // PROTOCOL.md says 400, not 413
  'http.bad_request': 400,
  'http.unauthorized': 401,
  'http.forbidden_domain': 403,
  'http.not_found': 404,
  'http.method_not_allowed': 405,
  'http.media_type': 415,
  'http.rate_limited': 429,
  // Ours to fix, never the caller's: answered without their message.
  'setting.invalid': 500,
  'output.unwritable': 500,
  'backend.unreachable': 503,
  'package.not_found': 500,
  'schema.conflict': 500,
  'probe.aborted': 500,
  'demo.unavailable': 500,
  'http.internal': 500,
};

/** Whether an answer with this status may carry the error's own message. */
export function isPublic(status: number): boolean {
  return status < 500;
}

/** Fastify's own errors, named FST_ERR_…: their messages describe the request, never our internals. */
function isFastifyError(error: unknown): error is FastifyError {
  const code = error instanceof Error ? (error as Partial<FastifyError>).code : undefined;
  return typeof code === 'string' && code.startsWith('FST_');
}

/**
 * What was thrown, as one of our errors. Fastify's own client errors (body
 * too large, unknown content type, a malformed request line) are named here;
 * whatever else is not a CheckerError is a bug: `http.internal`.
 */
export function toCheckerError(error: unknown): CheckerError {
  if (error instanceof CheckerError) return error;
  if (isFastifyError(error)) {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return new HttpError('http.body_too_large', `Request body is larger than ${MAX_BODY_BYTES} bytes (1 MiB).`, {
        cause: error,
      });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return unsupportedMediaType(error);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return new HttpError('http.bad_request', error.message, { cause: error });
  }
  return new HttpError('http.internal', 'Internal error.', { cause: error });
}

export function unsupportedMediaType(cause?: unknown): HttpError {
  return new HttpError('http.media_type', 'Unsupported content type: send application/json (or a form to /check).', {
    cause,
  });
}
