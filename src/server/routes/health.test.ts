/** GET /health in-process: the fields a scheduler reads. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startBareService } from '../../../test/server/service-harness.js';

let app: FastifyInstance;

before(async () => {
  app = await startBareService();
});
after(async () => {
  await app?.close();
});

test('answers status, uptime, CPUs, in-flight and total work, and three load averages', async () => {
  const res = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.status, 'ok');
  assert.equal(typeof body.uptime_seconds, 'number');
  assert.ok(Number.isInteger(body.num_cpu) && body.num_cpu >= 1);
  assert.ok(Number.isInteger(body.inflight) && Number.isInteger(body.total_requests));
  assert.equal(body.loadavg.length, 3);
  assert.ok(body.loadavg.every((v: unknown) => typeof v === 'number'));
});

test('answers exactly the fields of PROTOCOL.md', async () => {
  const body = (await app.inject({ method: 'GET', url: '/health' })).json();
  assert.deepEqual(Object.keys(body).sort(), [
    'inflight',
    'loadavg',
    'num_cpu',
    'status',
    'total_requests',
    'uptime_seconds',
  ]);
});
