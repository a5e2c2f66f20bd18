/** The work counter behind /health, in-process: work routes count, reads of the definition or health do not. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { postJson, startBareService } from '../../../test/server/service-harness.js';

let app: FastifyInstance;

before(async () => {
  app = await startBareService();
});
after(async () => {
  await app?.close();
});

const total = async (): Promise<number> => (await app.inject({ method: 'GET', url: '/health' })).json().total_requests;

test('counts work requests in total_requests, not health probes', async () => {
  const before = await total();
  await postJson(app, '/definition', {});
  await app.inject({ method: 'GET', url: '/health' });
  assert.equal(await total(), before + 1);
});

test('counts a refused work request too, and nothing stays in flight after it', async () => {
  const before = await total();
  assert.equal((await postJson(app, '/evaluate', {})).statusCode, 400);
  await app.inject({ method: 'GET', url: '/definition' });
  const health = (await app.inject({ method: 'GET', url: '/health' })).json();
  assert.equal(health.total_requests, before + 1, 'GET /definition is not work');
  assert.equal(health.inflight, 0);
});
