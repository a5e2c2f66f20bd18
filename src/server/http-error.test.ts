/** The status table and the classification of whatever a request threw. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckerError, OptionError } from '../model/errors.js';
import { HTTP_STATUS, HttpError, isPublic, toCheckerError } from './http-error.js';

test("HTTP_STATUS gives the protocol's statuses: 400 for bad input and bodies (1 MiB included), 401, 403, 404, 415, 429", () => {
  assert.equal(HTTP_STATUS['option.invalid'], 400);
  assert.equal(HTTP_STATUS['http.body_invalid'], 400);
  assert.equal(HTTP_STATUS['http.body_too_large'], 400);
  assert.equal(HTTP_STATUS['http.unauthorized'], 401);
  assert.equal(HTTP_STATUS['http.forbidden_domain'], 403);
  assert.equal(HTTP_STATUS['http.not_found'], 404);
  assert.equal(HTTP_STATUS['http.media_type'], 415);
  assert.equal(HTTP_STATUS['http.rate_limited'], 429);
  assert.equal(HTTP_STATUS['http.internal'], 500);
  for (const [code, status] of Object.entries(HTTP_STATUS))
    assert.ok(status >= 400 && status < 600, `${code} maps to an error status, got ${status}`);
});

test('toCheckerError() keeps our errors as they are', () => {
  const option = new OptionError('domain', 'Option domain is required.');
  assert.equal(toCheckerError(option), option);
  const http = new HttpError('http.forbidden_domain', 'Domain "x.test" is not allowed.');
  assert.equal(toCheckerError(http), http);
});

test("toCheckerError() names fastify's client errors and keeps them as the cause", () => {
  const tooLarge = Object.assign(new Error('Request body is too large'), {
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    statusCode: 413,
  });
  const converted = toCheckerError(tooLarge);
  assert.equal(converted.code, 'http.body_too_large');
  assert.equal(converted.message, 'Request body is larger than 1048576 bytes (1 MiB).');
  assert.equal(converted.cause, tooLarge);
  const media = toCheckerError(
    Object.assign(new Error('Unsupported Media Type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }),
  );
  assert.equal(media.code, 'http.media_type');
  const badUrl = toCheckerError(
    Object.assign(new Error("'/%' is not a valid url component"), { code: 'FST_ERR_BAD_URL', statusCode: 400 }),
  );
  assert.equal(badUrl.code, 'http.bad_request');
  assert.equal(badUrl.message, "'/%' is not a valid url component");
});

test('toCheckerError() makes anything else an internal error, which is never public', () => {
  const bug = new TypeError('text.replace is not a function');
  const converted = toCheckerError(bug);
  assert.ok(converted instanceof CheckerError);
  assert.equal(converted.code, 'http.internal');
  assert.equal(converted.cause, bug);
  assert.equal(isPublic(HTTP_STATUS[converted.code]), false);
  assert.equal(toCheckerError(Object.assign(new Error('x'), { code: 'ECONNRESET' })).code, 'http.internal');
});
