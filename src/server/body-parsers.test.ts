/**
 * How the service reads bodies, in-process: bad JSON, a body that is not an
 * object, a body over 1 MiB, a content type it cannot read. All are refused
 * before any handler runs, with `{error}`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { postJson, startBareService } from '../../test/server/service-harness.js';

let app: FastifyInstance;

before(async () => {
  app = await startBareService();
});
after(async () => {
  await app?.close();
});

test('answers 400 with {error} for bad JSON, a non-object body and a body over 1 MiB', async () => {
  const bad = await postJson(app, '/collect', '{"options": {');
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, /not valid JSON/);
  const list = await postJson(app, '/collect', '[1,2]');
  assert.equal(list.statusCode, 400);
  assert.match(list.json().error, /body must be object/);
  const big = await postJson(app, '/collect', { options: { domain: 'svc.test', pad: 'x'.repeat(1024 * 1024) } });
  assert.equal(big.statusCode, 400);
  assert.match(big.json().error, /larger than 1048576 bytes/);
});

test('refuses JSON that would poison prototypes', async () => {
  const res = await postJson(app, '/collect', '{"options": {"domain": "svc.test"}, "__proto__": {"x": 1}}');
  assert.equal(res.statusCode, 400);
  assert.match(res.json().error, /not valid JSON/);
});

test('answers 415 for a body that is neither JSON nor a form, and 400 for plain text', async () => {
  const xml = await app.inject({
    method: 'POST',
    url: '/collect',
    payload: '<domain/>',
    headers: { 'content-type': 'application/xml' },
  });
  assert.equal(xml.statusCode, 415);
  assert.match(xml.json().error, /send application\/json/);
  const text = await app.inject({
    method: 'POST',
    url: '/collect',
    payload: 'domain',
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(text.statusCode, 400);
  assert.match(text.json().error, /body must be object/);
});

test('reads an empty body of any content type, or none, as {}: the schema then says what is missing', async () => {
  for (const headers of [{}, { 'content-type': 'application/json' }, { 'content-type': 'image/png' }]) {
    const res = await app.inject({ method: 'POST', url: '/evaluate', headers, payload: '' });
    assert.equal(res.statusCode, 400, JSON.stringify(headers));
    assert.equal(res.json().error, "Invalid request: body must have required property 'observations'.");
  }
});
