/**
 * Who the client is (issue 12: the rate limit was per exact IPv6 address,
 * and X-Forwarded-For was either ignored behind a proxy or, if honoured,
 * could be forged by anyone). X-Forwarded-For and -Proto are believed from
 * trusted proxies only (--trust-proxy); the budget keys on an IPv4 address
 * or an IPv6 /64.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { listenService, request, type Listening } from './http-clients.js';

let direct: Listening;
let behindProxy: Listening;
const PROXY = '127.0.0.90';

before(async () => {
  direct = await listenService({ rateLimit: '1', maxEndpoints: '1' });
  behindProxy = await listenService({ rateLimit: '1', maxEndpoints: '1', trustProxy: PROXY });
});
after(async () => {
  await direct?.close();
  await behindProxy?.close();
});

/** One work request (POST /definition: no network), as `client` says through X-Forwarded-For. */
const work = (svc: Listening, localAddress: string, forwardedFor?: string) =>
  request(svc.port, '/definition', {
    method: 'POST',
    localAddress,
    headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    body: '{}',
  });

test('behind a trusted proxy, each real client named by X-Forwarded-For has its own budget', async () => {
  assert.equal((await work(behindProxy, PROXY, '192.0.2.1')).status, 200);
  assert.equal((await work(behindProxy, PROXY, '192.0.2.2')).status, 200, 'another client behind the same proxy');
  assert.equal((await work(behindProxy, PROXY, '192.0.2.1')).status, 429, 'the first one is over its budget');
});

test('X-Forwarded-For from a client that is not a trusted proxy is ignored: no budget to forge', async () => {
  assert.equal((await work(direct, '127.0.0.91', '192.0.2.1')).status, 200);
  assert.equal((await work(direct, '127.0.0.91', '192.0.2.2')).status, 429, 'still the connecting address');
  assert.equal((await work(behindProxy, '127.0.0.92', '192.0.2.3')).status, 200);
  assert.equal((await work(behindProxy, '127.0.0.92', '192.0.2.4')).status, 429, 'only the listed proxy is trusted');
});

test('an IPv6 client is its /64: another address of the same /64 shares the budget, another /64 does not', async () => {
  assert.equal((await work(behindProxy, PROXY, '2001:db8:0:1::1')).status, 200);
  assert.equal((await work(behindProxy, PROXY, '2001:db8:0:1:ffff::2')).status, 429, 'same /64');
  assert.equal((await work(behindProxy, PROXY, '2001:db8:0:2::1')).status, 200, 'another /64');
});
