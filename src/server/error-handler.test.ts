/**
 * How errors become answers: unknown routes, schema errors phrased to name
 * the field, and the rule that a 5xx never carries an internal message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { captureLog, startBareService } from '../../test/server/service-harness.js';
import { bodyErrorFormatter } from './error-handler.js';
import { OptionError, CheckerError } from '../model/errors.js';

let app: FastifyInstance;

before(async () => {
  app = await startBareService();
});
after(async () => {
  await app?.close();
});

test('unknown routes answer 404 in text, as the SDK server does', async () => {
  const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
  assert.equal(res.statusCode, 404);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  assert.equal(res.body, 'No route GET /nope.\n');
});

test('a known route asked with another method answers 405 naming the methods in Allow', async () => {
  for (const [method, url, allow] of [
    ['GET', '/collect', 'POST'],
    ['PUT', '/definition', 'GET, HEAD, POST'],
    ['DELETE', '/health?x=1', 'GET, HEAD'],
    ['POST', '/health', 'GET, HEAD'],
    ['PATCH', '/check', 'GET, HEAD, POST'],
  ] as const) {
    const res = await app.inject({ method, url });
    assert.equal(res.statusCode, 405, `${method} ${url}`);
    assert.equal(res.headers['allow'], allow, `${method} ${url}`);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.body, new RegExp(`^Method not allowed: ${url.split('?')[0]} takes ${allow}, not ${method}\\.`));
  }
});

describe('errors thrown by a handler', () => {
  const lines: Record<string, unknown>[] = [];
  let thrower: FastifyInstance;
  const THROWN: Record<string, unknown> = {
    option: new OptionError('timeout', 'Option timeout must be a number, got "x".'),
    type: new TypeError('text.replace is not a function'),
    setting: new CheckerError('setting.invalid', 'Port must be a number, got "x".'),
    string: 'a thrown string',
  };

  before(async () => {
    thrower = await startBareService({}, { logger: captureLog(lines) });
    // Routes of this test only, added before the app is ready: each throws one kind of error.
    thrower.get<{ Params: { kind: string } }>('/throw/:kind', async (request) => {
      throw THROWN[request.params.kind];
    });
  });
  after(async () => {
    await thrower?.close();
  });

  test('answers our input errors with their status and message, and does not log them as failures', async () => {
    const res = await thrower.inject({ method: 'GET', url: '/throw/option' });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { error: 'Option timeout must be a number, got "x".' });
    assert.ok(!lines.some((l) => l['msg'] === 'request failed'));
  });

  test("answers a bug, ours or a library's, with 500 and the request id only, and logs it", async () => {
    for (const kind of ['type', 'setting', 'string']) {
      const res = await thrower.inject({ method: 'GET', url: `/throw/${kind}` });
      assert.equal(res.statusCode, 500, kind);
      const failure = lines.filter((l) => l['msg'] === 'request failed').at(-1);
      assert.ok(failure, `${kind} is logged`);
      assert.deepEqual(res.json(), { error: `Internal error (request ${String(failure['reqId'])}).` });
      assert.doesNotMatch(res.body, /replace|Port|thrown/);
    }
  });
});

describe('bodyErrorFormatter()', () => {
  const problem = (instancePath: string, keyword: string, message: string, params = {}, data?: unknown) =>
    ({
      instancePath,
      keyword,
      message,
      params,
      schemaPath: '',
      ...(data !== undefined ? { data } : {}),
    }) as FastifySchemaValidationError;

  test('names the field and quotes the wrong value', () => {
    const error = bodyErrorFormatter()(
      [problem('/states/0/message', 'type', 'must be string', { type: 'string' }, 123)],
      'body',
    );
    assert.equal(error.code, 'http.body_invalid');
    assert.equal(error.message, 'Invalid request: body/states/0/message must be string, got 123.');
  });

  test('says "object or null" once for a nullable field of the wrong type', () => {
    const error = bodyErrorFormatter()(
      [
        problem('/options', 'type', 'must be object', { type: 'object' }, 3),
        problem('/options', 'type', 'must be null', { type: 'null' }, 3),
        problem('/options', 'anyOf', 'must match a schema in anyOf'),
      ],
      'body',
    );
    assert.equal(error.message, 'Invalid request: body/options must be object or null, got 3.');
  });

  test("describes a problem inside an observation from the observation's root", () => {
    const format = bodyErrorFormatter({ '/data': 'data' });
    const deep = format(
      [problem('/data/endpoints/0', 'required', "must have required property 'mx'", { missingProperty: 'mx' })],
      'body',
    );
    assert.equal(
      deep.message,
      "Invalid request: data is not a checker-smtp observation: /endpoints/0: must have required property 'mx'.",
    );
    const root = format(
      [problem('/data', 'required', "must have required property 'version'", { missingProperty: 'version' })],
      'body',
    );
    assert.equal(
      root.message,
      "Invalid request: data is not a checker-smtp observation: /: must have required property 'version'.",
    );
    const beside = format([problem('/database', 'type', 'must be string', { type: 'string' })], 'body');
    assert.equal(beside.message, 'Invalid request: body/database must be string.');
  });
});
