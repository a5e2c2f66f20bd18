/**
 * What answers allow a browser to do (issue 12: HTML answers carried no
 * CSP, no nosniff, no frame rule). The report must stay framable (hosts
 * show it in a sandboxed iframe); the /check page, with its form and its
 * token, must not be. Chromium proves both in test/browser/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { observation } from '../fixtures/observations.js';
import { listenService, request, type Answer, type Listening } from './http-clients.js';

let svc: Listening;
let guarded: Listening;

before(async () => {
  svc = await listenService();
  guarded = await listenService({ token: 'page-token' });
});
after(async () => {
  await svc?.close();
  await guarded?.close();
});

const CHECK_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function assertEveryAnswerHeaders(res: Answer, what: string): void {
  assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(res.headers['referrer-policy'], 'no-referrer', what);
}

function assertNotFramable(res: Answer, what: string): void {
  assertEveryAnswerHeaders(res, what);
  assert.equal(res.headers['content-security-policy'], CHECK_PAGE_CSP, what);
  assert.equal(res.headers['x-frame-options'], 'DENY', what);
  assert.equal(res.headers['cache-control'], 'no-store', what);
}

test('JSON answers, errors included, carry nosniff and no referrer', async () => {
  for (const [path, status] of [
    ['/health', 200],
    ['/definition', 200],
  ] as const) {
    const res = await request(svc.port, path);
    assert.equal(res.status, status);
    assertEveryAnswerHeaders(res, path);
  }
  const bad = await request(svc.port, '/evaluate', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{',
  });
  assert.equal(bad.status, 400);
  assertEveryAnswerHeaders(bad, 'a 400');
  assertEveryAnswerHeaders(await request(svc.port, '/nope'), 'a 404');
});

test('the HTML report forbids scripts and loads, and may be framed by the host that shows it', async () => {
  const res = await request(svc.port, '/report', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/html' },
    body: JSON.stringify({ key: 'smtp', data: observation() }),
  });
  assert.equal(res.status, 200);
  assertEveryAnswerHeaders(res, '/report');
  assert.equal(
    res.headers['content-security-policy'],
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
  );
  assert.doesNotMatch(String(res.headers['content-security-policy']), /frame-ancestors/);
  assert.equal(res.headers['x-frame-options'], undefined);
});

test('the /check page, its form, its errors and its token prompt may never be framed', async () => {
  assertNotFramable(await request(svc.port, '/check'), 'GET /check');
  const invalid = await request(svc.port, '/check', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'form=1&domain=',
  });
  assert.equal(invalid.status, 400);
  assertNotFramable(invalid, 'the form with an error');
  const prompt = await request(guarded.port, '/check');
  assert.equal(prompt.status, 401);
  assertNotFramable(prompt, 'the token prompt');
});
