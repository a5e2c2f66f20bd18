/**
 * Token guessing and what the token opens (issue 12: guesses on GET routes
 * ran at about 1,000 a second; the page's cookie was the raw token, never
 * Secure). The real service listening on 127.0.0.1 with a token; each
 * client comes from its own 127.0.0.x.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TOKEN_FAILURES_PER_MINUTE } from '../../src/model/limits.js';
import { listenService, request, type Listening } from './http-clients.js';

const TOKEN = 'right-token-1234';
let svc: Listening;
let proxied: Listening;

before(async () => {
  svc = await listenService({ token: TOKEN });
  proxied = await listenService({ token: TOKEN, trustProxy: '127.0.0.0/8' });
});
after(async () => {
  await svc?.close();
  await proxied?.close();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ form: '1', domain: 'guard.test', ...fields }).toString(),
});

test(`wrong tokens on GET routes: past ${MAX_TOKEN_FAILURES_PER_MINUTE} a minute, 429 even for the right one; others unaffected`, async () => {
  const guesser = '127.0.0.80';
  for (let i = 0; i < MAX_TOKEN_FAILURES_PER_MINUTE; i++) {
    const res = await request(svc.port, '/definition', { localAddress: guesser, headers: bearer(`guess-${i}`) });
    assert.equal(res.status, 401, `guess ${i}`);
  }
  const limited = await request(svc.port, '/definition', { localAddress: guesser, headers: bearer('guess-x') });
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60);
  assert.match(limited.body, /Too many wrong access tokens from your address: at most 10 per minute; retry in \d+ s/);
  const right = await request(svc.port, '/definition', { localAddress: guesser, headers: bearer(TOKEN) });
  assert.equal(right.status, 429, 'a guess that happens to be right learns nothing');
  assert.equal((await request(svc.port, '/health', { localAddress: guesser })).status, 200, '/health stays open');
  const other = await request(svc.port, '/definition', { localAddress: '127.0.0.81', headers: bearer(TOKEN) });
  assert.equal(other.status, 200, 'another client has its own budget');
});

test('wrong tokens count together on every route and in every form: bearer, Basic, the page form', async () => {
  const guesser = '127.0.0.82';
  const attempts = [
    () => request(svc.port, '/definition', { localAddress: guesser, headers: bearer('a') }),
    () => request(svc.port, '/check', { localAddress: guesser, auth: 'x:b' }),
    () => request(svc.port, '/check', { localAddress: guesser, ...form({ token: 'c' }) }),
    () =>
      request(svc.port, '/collect', {
        localAddress: guesser,
        method: 'POST',
        headers: { ...bearer('d'), 'content-type': 'application/json' },
        body: '{}',
      }),
  ];
  const statuses = [];
  for (let i = 0; i < MAX_TOKEN_FAILURES_PER_MINUTE + 2; i++) statuses.push((await attempts[i % 4]!()).status);
  assert.deepEqual(statuses.slice(-2), [429, 429]);
  assert.ok(
    statuses.slice(0, MAX_TOKEN_FAILURES_PER_MINUTE).every((s) => s === 401),
    String(statuses),
  );
});

test('a request without any token is refused but not counted as a guess', async () => {
  const visitor = '127.0.0.83';
  for (let i = 0; i < MAX_TOKEN_FAILURES_PER_MINUTE + 5; i++) {
    assert.equal((await request(svc.port, '/check', { localAddress: visitor })).status, 401);
  }
  const res = await request(svc.port, '/definition', { localAddress: visitor, headers: bearer(TOKEN) });
  assert.equal(res.status, 200);
});

test('HTTP Basic carrying the token as its password is accepted, as Go sends http://user:TOKEN@host', async () => {
  const ok = await request(svc.port, '/definition', { localAddress: '127.0.0.84', auth: `happydomain:${TOKEN}` });
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).id, 'smtp');
  const collect = await request(svc.port, '/collect', {
    localAddress: '127.0.0.84',
    auth: `any-user:${TOKEN}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ options: { domain: 'bad domain' } }),
  });
  assert.equal(collect.status, 400, 'past the token: the options are judged');
  const wrong = await request(svc.port, '/definition', { localAddress: '127.0.0.84', auth: `${TOKEN}:nope` });
  assert.equal(wrong.status, 401, 'the token as user name with a wrong password is not the token');
});

test('the page cookie holds an HMAC of the token, never the token; a cookie of the token itself opens nothing', async () => {
  const res = await request(svc.port, '/check', { localAddress: '127.0.0.85', ...form({ token: TOKEN, domain: '' }) });
  assert.equal(res.status, 400, 'past the token: the empty domain is refused');
  const set = String(res.headers['set-cookie']);
  const value = /checker_smtp_token=([^;]+)/.exec(set)?.[1];
  assert.ok(value, set);
  assert.ok(!set.includes(TOKEN), 'the token is not in the cookie');
  assert.match(value, /^[A-Za-z0-9_-]{43}$/, 'a base64url HMAC-SHA256');
  assert.match(set, /HttpOnly/);
  assert.match(set, /SameSite=Strict/);
  assert.match(set, /Path=\/check/);
  assert.doesNotMatch(set, /Secure/, 'plain HTTP, no proxy trusted: not Secure');
  const withCookie = await request(svc.port, '/check', {
    localAddress: '127.0.0.85',
    headers: { cookie: `checker_smtp_token=${value}` },
  });
  assert.equal(withCookie.status, 200);
  const forged = await request(svc.port, '/check', {
    localAddress: '127.0.0.85',
    headers: { cookie: `checker_smtp_token=${TOKEN}` },
  });
  assert.equal(forged.status, 401);
});

test('the cookie is Secure when a trusted proxy says the request came over HTTPS, and only then', async () => {
  const https = { 'x-forwarded-proto': 'https' };
  const behind = await request(proxied.port, '/check', {
    localAddress: '127.0.0.86',
    ...form({ token: TOKEN, domain: '' }),
    headers: { ...form({}).headers, ...https },
  });
  assert.match(String(behind.headers['set-cookie']), /; Secure/);
  const untrusted = await request(svc.port, '/check', {
    localAddress: '127.0.0.86',
    ...form({ token: TOKEN, domain: '' }),
    headers: { ...form({}).headers, ...https },
  });
  assert.doesNotMatch(
    String(untrusted.headers['set-cookie']),
    /Secure/,
    'the header of an untrusted client is ignored',
  );
});
