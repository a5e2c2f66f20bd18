/** The per-client work budget of a hosted deployment, in-process: one budget across work routes, reads never limited. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { FAST, startBareService } from '../../../test/server/service-harness.js';

const apps: FastifyInstance[] = [];
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

async function service(rateLimit: string): Promise<FastifyInstance> {
  // The budget is in endpoints and must cover one check's cap: a cap of one endpoint keeps these budgets tiny.
  const app = await startBareService({ rateLimit, maxEndpoints: rateLimit });
  apps.push(app);
  return app;
}

const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };

test('answers 429 with Retry-After once a client spends its work budget, across work routes', async () => {
  const app = await service('2');
  assert.equal(
    (await app.inject({ method: 'POST', url: '/definition', headers: json, payload: '{}' })).statusCode,
    200,
  );
  assert.equal((await app.inject({ method: 'POST', url: '/evaluate', headers: json, payload: '{}' })).statusCode, 400);
  const limited = await app.inject({
    method: 'POST',
    url: '/collect',
    headers: json,
    payload: JSON.stringify({ options: { domain: 'guard.test', ...FAST } }),
  });
  assert.equal(limited.statusCode, 429);
  assert.match(
    limited.json().error,
    /Too many requests: this client has used its budget; this checker probes at most 2 endpoints per minute per client .*; retry in \d+ s/,
  );
  assert.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After header');
  // Reading the definition and health are not work: never limited.
  assert.equal((await app.inject({ method: 'GET', url: '/definition' })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  // Another client has its own budget.
  assert.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/definition',
        headers: json,
        payload: '{}',
        remoteAddress: '127.0.0.9',
      })
    ).statusCode,
    200,
  );
});

test('answers the browser page over budget with the form, the message and 429', async () => {
  const app = await service('1');
  assert.equal(
    (await app.inject({ method: 'POST', url: '/definition', headers: json, payload: '{}' })).statusCode,
    200,
  );
  const page = await app.inject({ method: 'POST', url: '/check', headers: form, payload: 'form=1&domain=guard.test' });
  assert.equal(page.statusCode, 429);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /Too many requests: .* at most 1 endpoint per minute per client/);
  assert.match(page.body, /<form/);
});
