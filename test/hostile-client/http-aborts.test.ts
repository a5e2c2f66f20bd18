/**
 * Clients that abort mid-request (issue 12: /health's inflight reached
 * 21,990 and stayed, and loadavg with it, because only a sent answer ended
 * a request's tracking). Each case aborts at another point, on the real
 * service listening on 127.0.0.1; the bound: inflight is back to 0 within
 * ABORT_SEEN_WITHIN_MS, and every aborted request was counted in total.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { closeAll, eventually, listenService, openRaw, request, type Listening } from './http-clients.js';

/** How soon the service must see an abort: a close event, not a timer. */
const ABORT_SEEN_WITHIN_MS = 1000;
const SILENT_HOST = '127.0.0.71';
const DOMAIN = 'tarpit.test';

let dns: DnsServer;
let silent: ScenarioPeer;
let svc: Listening;

before(async () => {
  dns = await startDnsServer([]);
  silent = await scenarios.silent({ host: SILENT_HOST, port: 0, domain: DOMAIN, mxName: `mx.${DOMAIN}` });
  dns.set(...mailDomainRecords(DOMAIN, [{ name: `mx.${DOMAIN}`, addresses: [SILENT_HOST] }]));
  svc = await listenService({}, { dns, smtpPort: silent.port });
});
after(async () => {
  await svc?.close();
  await silent?.close();
  await dns?.close();
});

const health = async () =>
  JSON.parse((await request(svc.port, '/health', { localAddress: '127.0.0.72' })).body) as {
    inflight: number;
    total_requests: number;
  };

const idle = () => eventually(async () => (await health()).inflight === 0, ABORT_SEEN_WITHIN_MS);

test('a client that aborts halfway through its body ends its tracking', async () => {
  const before = (await health()).total_requests;
  const clients = [];
  for (let i = 0; i < 20; i++) {
    const c = await openRaw(svc.port, '127.0.0.73');
    c.socket.write(
      'POST /evaluate HTTP/1.1\r\nHost: checker\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"observ',
    );
    clients.push(c);
  }
  assert.ok(await eventually(async () => (await health()).inflight === 20, ABORT_SEEN_WITHIN_MS), 'all 20 in flight');
  await closeAll(clients);
  assert.ok(await idle(), `inflight back to 0 (now ${(await health()).inflight})`);
  assert.equal((await health()).total_requests, before + 20);
});

test('a client that aborts while its collect runs ends its tracking at once', async () => {
  const c = await openRaw(svc.port, '127.0.0.74');
  const body = JSON.stringify({ options: { domain: DOMAIN, timeout: 10 } });
  c.socket.write(
    `POST /collect HTTP/1.1\r\nHost: checker\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
  assert.ok(await eventually(() => silent.connections.length > 0, 5000), 'the collect reached the tarpit');
  assert.equal((await health()).inflight, 1);
  await closeAll([c]);
  assert.ok(await idle(), 'inflight back to 0 long before the 10 s probe ends');
});

test('a client that aborts right after its headers ends its tracking', async () => {
  const clients = [];
  for (let i = 0; i < 10; i++) {
    const c = await openRaw(svc.port, '127.0.0.75');
    c.socket.write(
      'POST /definition HTTP/1.1\r\nHost: checker\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n',
    );
    clients.push(c);
  }
  await closeAll(clients);
  assert.ok(await idle());
});
