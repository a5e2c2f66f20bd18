/**
 * How request bodies are read before their schema judges them: JSON (with
 * fastify's prototype-poisoning guards), forms for /check, and an empty body
 * whatever its content type (PROTOCOL.md: POST /definition may come with
 * Content-Length 0). Anything else is 415.
 */
import formbody from '@fastify/formbody';
import { HttpError, MAX_BODY_BYTES, unsupportedMediaType } from './http-error.js';
import type { ServiceApp } from './service-deps.js';

const isBlank = (body: string | Buffer): boolean => body.toString().trim() === '';

export async function registerBodyParsers(app: ServiceApp): Promise<void> {
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (isBlank(body)) return done(null, {});
    void jsonParser(request, body.toString(), (err, parsed) =>
      err
        ? done(new HttpError('http.body_invalid', `Request body is not valid JSON: ${err.message}`), undefined)
        : done(null, parsed),
    );
  });
  // Plain text stays a string, which every body schema refuses ("body must be object"): a clearer
  // answer than 415 for the common mistake of a curl -d without a content type header.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) =>
    done(null, isBlank(body) ? {} : body.toString()),
  );
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) =>
    isBlank(body) ? done(null, {}) : done(unsupportedMediaType(), undefined),
  );
  await app.register(formbody, { bodyLimit: MAX_BODY_BYTES });
  // No content type and no body at all: fastify parses nothing, and the schema would see null.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.method === 'POST') request.body = {};
  });
}
