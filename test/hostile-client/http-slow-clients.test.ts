/**
 * Clients that hold connections without finishing a request (issue 12:
 * 20,000 connections sending headers and a Content-Length, then trickling,
 * exhausted the file descriptors and the service stopped answering). Each
 * case: the real service listening on 127.0.0.1 with small deadlines and
 * caps, raw sockets from their own 127.0.0.x, and the bound it must keep.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { HTTP_DEADLINE_CHECK_INTERVAL_MS } from '../../src/model/limits.js';
import {
  closeAll,
  eventually,
  listenService,
  openMany,
  openRaw,
  request,
  SLOW_BODY_HEAD,
  type Listening,
} from './http-clients.js';

/** Deadlines of these tests, seconds: small budgets, never long sleeps. */
const HEADERS_TIMEOUT_S = 1;
const REQUEST_TIMEOUT_S = 2;
/**
 * Slack over a deadline before a connection must be closed: node checks the
 * deadlines once per HTTP_DEADLINE_CHECK_INTERVAL_MS, plus timers firing
 * late on a loaded 2-core machine.
 */
const CLOSE_MARGIN_MS = HTTP_DEADLINE_CHECK_INTERVAL_MS + 1500;
/** A refusal over a cap is written at once: well under any deadline. */
const REFUSED_WITHIN_MS = 1000;
/** How long held connections are watched to prove they are held (not refused, not yet timed out). */
const HELD_CHECK_MS = 300;

const services: Listening[] = [];
after(async () => {
  await Promise.all(services.map((s) => s.close()));
});

async function service(flags: Parameters<typeof listenService>[0]): Promise<Listening> {
  const s = await listenService({
    headersTimeout: String(HEADERS_TIMEOUT_S),
    requestTimeout: String(REQUEST_TIMEOUT_S),
    ...flags,
  });
  services.push(s);
  return s;
}

/** A slow-body connection that keeps trickling a byte every 200 ms until closed. */
async function trickling(port: number, localAddress: string) {
  const c = await openRaw(port, localAddress);
  c.socket.write(SLOW_BODY_HEAD);
  const timer = setInterval(() => c.socket.write(' '), 200);
  void c.closed.then(() => clearInterval(timer));
  return c;
}

test('a body that trickles in is answered 408 {error} and closed within the request timeout', async () => {
  const { port } = await service({});
  const c = await trickling(port, '127.0.0.60');
  const closedAfter = await c.closed;
  assert.ok(closedAfter <= REQUEST_TIMEOUT_S * 1000 + CLOSE_MARGIN_MS, `closed after ${closedAfter} ms`);
  assert.ok(closedAfter >= REQUEST_TIMEOUT_S * 1000 - 100, `not before the request timeout (${closedAfter} ms)`);
  assert.match(c.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
  const body = JSON.parse(c.received().split('\r\n\r\n')[1]!) as { error: string };
  assert.equal(body.error, 'Request timeout: headers must arrive within 1 s and the whole request within 2 s.');
});

test('headers that trickle in are answered 408 within the headers timeout', async () => {
  const { port } = await service({});
  const c = await openRaw(port, '127.0.0.60');
  c.socket.write('POST /collect HTTP/1.1\r\nHost: checker\r\n');
  const timer = setInterval(() => c.socket.write('X-Slow: 1\r\n'), 200);
  const closedAfter = await c.closed;
  clearInterval(timer);
  assert.ok(closedAfter <= HEADERS_TIMEOUT_S * 1000 + CLOSE_MARGIN_MS, `closed after ${closedAfter} ms`);
  assert.match(c.received(), /^HTTP\/1\.1 408 /);
});

test('a connection that never sends a byte is closed within the headers timeout', async () => {
  const { port } = await service({});
  const c = await openRaw(port, '127.0.0.60');
  const closedAfter = await c.closed;
  assert.ok(closedAfter <= HEADERS_TIMEOUT_S * 1000 + CLOSE_MARGIN_MS, `closed after ${closedAfter} ms`);
});

test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
  const { port } = await service({ keepAliveTimeout: '1' });
  const c = await openRaw(port, '127.0.0.60');
  c.socket.write('GET /health HTTP/1.1\r\nHost: checker\r\n\r\n');
  assert.ok(await eventually(() => c.received().includes('"status":"ok"'), 2000), 'answered');
  const closedAfter = await c.closed;
  assert.ok(closedAfter <= 1000 + CLOSE_MARGIN_MS, `closed after ${closedAfter} ms`);
});

test('one client is held to its connection cap: past it, 503 {error} at once, and other clients are still served', async () => {
  const perClient = 20;
  const s = await service({ httpConnectionsPerClient: String(perClient), maxHttpConnections: '100' });
  const held = await openMany(s.port, perClient, '127.0.0.61', SLOW_BODY_HEAD);
  const extra = await openMany(s.port, 10, '127.0.0.61', SLOW_BODY_HEAD);
  try {
    const refusedAfter = await Promise.all(extra.map((c) => c.closed));
    assert.ok(Math.max(...refusedAfter) <= REFUSED_WITHIN_MS, `refused within ${Math.max(...refusedAfter)} ms`);
    for (const c of extra) {
      assert.match(c.received(), /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      assert.match(c.received(), /Retry-After: 5\r\n/);
      assert.match(c.received(), /"error":"Too many connections from your address: at most 20 at once per client/);
    }
    await new Promise((r) => setTimeout(r, HELD_CHECK_MS));
    assert.equal(held.filter((c) => c.isClosed()).length, 0, 'the first 20 are held, not refused');
    assert.equal(s.app.connectionCaps.open(), perClient);
    const health = await request(s.port, '/health', { localAddress: '127.0.0.62' });
    assert.equal(health.status, 200, 'another client is served meanwhile');
  } finally {
    await closeAll([...held, ...extra]);
  }
  assert.ok(await eventually(() => s.app.connectionCaps.open() === 0, 1000), 'every slot is freed');
  assert.equal((await request(s.port, '/health', { localAddress: '127.0.0.61' })).status, 200, 'and reused');
});

test('all clients together are held to the global cap: past it, 503 at once, until deadlines free slots', async () => {
  const s = await service({ httpConnectionsPerClient: '10', maxHttpConnections: '30' });
  const attackers = ['127.0.0.63', '127.0.0.64', '127.0.0.65', '127.0.0.66'];
  const all = (await Promise.all(attackers.map((a) => openMany(s.port, 10, a, SLOW_BODY_HEAD)))).flat();
  try {
    const refused = await eventually(() => all.filter((c) => c.isClosed()).length === 10, REFUSED_WITHIN_MS);
    assert.ok(refused, `10 of 40 refused at once (closed: ${all.filter((c) => c.isClosed()).length})`);
    assert.equal(s.app.connectionCaps.open(), 30);
    const full = await request(s.port, '/health', { localAddress: '127.0.0.67' });
    assert.equal(full.status, 503, 'a newcomer is told at once, not left hanging');
    assert.ok(full.ms <= REFUSED_WITHIN_MS, `answered in ${full.ms} ms`);
    assert.match(full.body, /"error":"Too many connections: this checker serves at most 30 at once/);
    // The attackers' requests never complete: the request deadline closes them, and service resumes.
    const served = await eventually(
      async () => (await request(s.port, '/health', { localAddress: '127.0.0.67' })).status === 200,
      REQUEST_TIMEOUT_S * 1000 + CLOSE_MARGIN_MS,
    );
    assert.ok(served, 'served again once the deadline cut the slow bodies');
  } finally {
    await closeAll(all);
  }
});

test('a trusted proxy is held to the global cap only: its clients share its address', async () => {
  const s = await service({ httpConnectionsPerClient: '5', maxHttpConnections: '40', trustProxy: '127.0.0.68' });
  const viaProxy = await openMany(s.port, 20, '127.0.0.68', SLOW_BODY_HEAD);
  const direct = await openMany(s.port, 6, '127.0.0.69', SLOW_BODY_HEAD);
  try {
    await new Promise((r) => setTimeout(r, HELD_CHECK_MS));
    assert.equal(viaProxy.filter((c) => c.isClosed()).length, 0, 'all 20 through the proxy are held');
    assert.equal(direct.filter((c) => c.isClosed()).length, 1, 'a direct client still gets 5');
  } finally {
    await closeAll([...viaProxy, ...direct]);
  }
});
