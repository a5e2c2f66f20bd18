/**
 * The /check page streams, read the way a browser receives it: a raw HTTP
 * client on a real listening service. The frame, the form and "Checking …"
 * arrive while the MX server has not even greeted (it holds its greeting
 * until the test lets it go); then the progress lines; then the report and
 * the end of the document. A page that waited for the check would send
 * nothing until the greeting.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { runDialogue, startScriptedServer, type ScriptedServer } from '../peers/scripted-smtp.js';
import { startService } from './service-harness.js';

const HOST = '127.0.0.197';
const DOMAIN = 'stream.test';
/** A bound for each wait on a loaded machine; nothing here waits for a timeout to pass. */
const WAIT_MS = 10_000;

let dns: DnsServer;
let peer: ScriptedServer;
let app: FastifyInstance;
let port: number;
let release: () => void = () => undefined;
let greeted = false;

before(async () => {
  const held = new Promise<void>((r) => (release = r));
  peer = await startScriptedServer({
    host: HOST,
    port: 0,
    script: async (conn) => {
      await held;
      greeted = true;
      await runDialogue(conn, {
        hostname: `mx.${DOMAIN}`,
        rcptTo: (a) => (a.endsWith(`@${DOMAIN}`) ? '250 2.1.5 Ok\r\n' : '554 5.7.1 Relay denied\r\n'),
      });
    },
  });
  dns = await startDnsServer(mailDomainRecords(DOMAIN, [{ name: `mx.${DOMAIN}`, addresses: [HOST] }]));
  app = await startService(dns, peer.port);
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});
after(async () => {
  release();
  await app?.close();
  await peer?.close();
  await dns?.close();
});

/** A raw HTTP/1.1 client: what arrived so far, and when the answer ended. */
function rawPost(path: string, body: string) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  const waiters: (() => void)[] = [];
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    received += d;
    for (const w of waiters.splice(0)) w();
  });
  const ended = new Promise<void>((resolve) => socket.on('end', resolve));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  const seen = async (pattern: RegExp): Promise<void> => {
    const deadline = Date.now() + WAIT_MS;
    while (!pattern.test(received)) {
      if (Date.now() > deadline) throw new Error(`${pattern} not received; got: ${received.slice(-500)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  return { socket, seen, ended, text: () => received };
}

/** The body of a chunked HTTP/1.1 answer. */
function dechunk(raw: string): string {
  let rest = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  let out = '';
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    const bytes = Buffer.from(rest.slice(eol + 2), 'utf8');
    out += bytes.subarray(0, size).toString('utf8');
    rest = bytes.subarray(size + 2).toString('utf8');
  }
}

test('the page sends its form and "Checking …" before the MX server has greeted, then the steps, then the report', async () => {
  const client = rawPost('/check', new URLSearchParams({ form: '1', domain: DOMAIN, timeout: '5' }).toString());
  await client.seen(/<h2>Checking stream\.test…<\/h2><ol>/);
  assert.equal(greeted, false, 'the progress part arrived while the server still held its greeting');
  const head = client.text();
  assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(head, /\r\ntransfer-encoding: chunked\r\n/i);
  assert.match(head, /\r\nx-accel-buffering: no\r\n/i);
  assert.match(head, /<form class="p-form"/);
  await client.seen(/<li>DNS done: 1 endpoint to probe \(MX: mx\.stream\.test\)\.<\/li>/);
  assert.doesNotMatch(client.text(), /id="report"/, 'no report before the endpoint is done');
  release();
  await client.ended;
  const page = dechunk(client.text());
  assert.match(page, /<li>127\.0\.0\.197:\d+ \(mx\.stream\.test\): greeting 220 mx\.stream\.test/);
  assert.match(page, /id="report"[\s\S]*Inbound mail report for stream\.test/);
  assert.match(page, /^<!doctype html>\n<html lang="en">/);
  assert.match(page, /<\/body><\/html>$/, 'the finished document is complete');
  assert.equal((page.match(/<section/g) ?? []).length, (page.match(/<\/section>/g) ?? []).length);
  assert.equal((page.match(/<ol[ >]/g) ?? []).length, (page.match(/<\/ol>/g) ?? []).length);
});
