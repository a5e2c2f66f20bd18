/**
 * Hostile clients, part 2: a caller that asks for a slow check and hangs up.
 * The work must stop with it: the service passes collect() a signal that
 * fires when the request's connection closes before the answer was sent, so
 * the dialogues under way stop at once and the endpoints still in line are
 * never dialled. A real listening service (on 127.0.0.1) and a raw client
 * socket, because only a real socket can go away.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import type { ConnectionGate } from '../../src/collect/connection-gate.js';
import { addresses, serviceWithGate, startCountingPeers, until, type CountingPeers } from './collect-peers.js';

const DOMAIN = 'gone.test';
/** Six tarpits behind one MX name; the gate holds four connections, so two wait in line. */
const TARPITS = addresses(62, 1, 6);
const GATE_SLOTS = 4;
/** The check's budget per endpoint: far longer than the test waits, so only the hang-up can end it early. */
const BUDGET_S = 20;
/** Bound: after the hang-up, every tarpit connection is closed by us within this (generous for a loaded machine). */
const STOPPED_WITHIN_MS = 1500;

let dns: DnsServer;
let tarpits: CountingPeers;
let app: FastifyInstance;
let gate: ConnectionGate;
let port: number;

before(async () => {
  tarpits = await startCountingPeers(TARPITS, 'tarpit');
  dns = await startDnsServer([
    { name: DOMAIN, type: 'MX', priority: 10, exchange: `mx.${DOMAIN}` },
    ...TARPITS.map((address) => ({ name: `mx.${DOMAIN}`, type: 'A' as const, address })),
  ]);
  ({ app, gate } = await serviceWithGate(dns, tarpits.port, { maxConnections: String(GATE_SLOTS) }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});
after(async () => {
  await app?.close();
  await tarpits?.close();
  await dns?.close();
});

/** Sends one HTTP request on a raw socket and leaves it open (never reads the answer). */
function send(path: string, contentType: string, body: string): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  return socket;
}

async function hangUpDuring(socket: net.Socket, dialledBefore = tarpits.total()): Promise<void> {
  await until('the check to hold every gate slot on the tarpits', () => gate.stats().open === GATE_SLOTS);
  assert.equal(gate.stats().queued, TARPITS.length - GATE_SLOTS, 'the rest wait in line');
  const hungUp = Date.now();
  socket.destroy();
  await until('our side to close every tarpit connection', () => tarpits.open() === 0, STOPPED_WITHIN_MS);
  await until('the gate to empty', () => gate.stats().open === 0 && gate.stats().queued === 0, STOPPED_WITHIN_MS);
  assert.ok(Date.now() - hungUp < STOPPED_WITHIN_MS, `stopped ${Date.now() - hungUp} ms after the hang-up`);
  // Give a late dial every chance to happen: none may.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(tarpits.total() - dialledBefore, GATE_SLOTS, 'the endpoints still in line were never dialled');
}

test('POST /collect stops its dialogues and dials nothing more when the caller hangs up', async () => {
  const body = JSON.stringify({ options: { domain: DOMAIN, timeout: BUDGET_S } });
  await hangUpDuring(send('/collect', 'application/json', body));
});

test('POST /check stops the same way when the browser goes away', async () => {
  const body = new URLSearchParams({ form: '1', domain: DOMAIN, timeout: String(BUDGET_S) }).toString();
  await hangUpDuring(send('/check', 'application/x-www-form-urlencoded', body));
});

test('a browser that leaves while /check streams its progress stops the check: the endpoints in line are never dialled', async () => {
  const body = new URLSearchParams({ form: '1', domain: DOMAIN, timeout: String(BUDGET_S) }).toString();
  const dialledBefore = tarpits.total();
  const socket = send('/check', 'application/x-www-form-urlencoded', body);
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('utf8')));
  await until('the page to stream its progress', () => /DNS done: 6 endpoints to probe/.test(received));
  assert.match(received, /<h2>Checking gone\.test…<\/h2>/);
  await hangUpDuring(socket, dialledBefore);
});

test('a caller that waits gets its answer: the hang-up signal does not fire on a normal reply', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/collect',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ options: { domain: DOMAIN, timeout: 1 } }),
  });
  assert.equal(res.statusCode, 200);
  const obs = res.json().data;
  assert.equal(obs.cut, null, 'not cut');
  assert.ok(obs.endpoints.some((e: { error: { code: string } | null }) => e.error?.code === 'timeout'));
});
