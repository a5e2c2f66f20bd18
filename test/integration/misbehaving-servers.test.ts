/**
 * Servers that break the protocol: each failure is recorded as data on its
 * endpoint (phase, code, words), within the budget, while a healthy endpoint
 * of the same domain keeps its full result.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios } from '../peers/smtp-scenarios.js';
import { startOnSamePort } from '../peers/listen.js';
import { createScriptedServer, type ConnectionScript } from '../peers/scripted-smtp.js';
import { reply } from '../peers/scripted-dialogue.js';
import { MAX_ENDPOINT_BYTES, MAX_REPLY_LINE_BYTES } from '../../src/limits.js';
import type { EndpointProbe } from '../../src/observation.js';
import { runCheck } from './harness.js';

let dns: DnsServer;
let nextHost = 100;

before(async () => {
  dns = await startDnsServer([]);
});
after(async () => {
  await dns.close();
});

const EHLO_REPLY = reply(250, 'mx.bad.test', 'PIPELINING', 'STARTTLS');

/** A domain with a healthy MX and a misbehaving one on the same port; returns the bad endpoint. */
async function probeBeside(name: string, script: ConnectionScript, timeout = 2): Promise<EndpointProbe> {
  const domain = `${name}.test`;
  const good = `127.0.0.${nextHost++}`;
  const bad = `127.0.0.${nextHost++}`;
  dns.set(
    ...mailDomainRecords(domain, [
      { name: `good.${domain}`, addresses: [good], priority: 10 },
      { name: `bad.${domain}`, addresses: [bad], priority: 20 },
    ]),
  );
  const { port, peers } = await startOnSamePort([
    (p) => scenarios.healthy({ host: good, port: p, domain, mxName: `good.${domain}` }),
    async (p) => {
      const s = createScriptedServer(script);
      await new Promise<void>((resolve, reject) => s.server.once('error', reject).listen(p, bad, () => resolve()));
      return { port: p, close: () => s.close() };
    },
  ]);
  try {
    const started = Date.now();
    const { observation } = await runCheck(dns, port, { domain, timeout });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < timeout * 1000 + 1500, `took ${elapsed} ms for a ${timeout} s budget`);
    const [healthy, broken] = observation.endpoints;
    assert.equal(healthy!.error, null, 'the healthy endpoint keeps its full result');
    assert.deepEqual(healthy!.transactions.map((t) => t.outcome), ['accepted', 'accepted', 'rejected']);
    return broken!;
  } finally {
    await Promise.all(peers.map((p) => p.close()));
  }
}

test('a line without end is cut at the line limit', async () => {
  const ep = await probeBeside('endless', async (conn) => {
    await conn.send('220-');
    await conn.send(Buffer.alloc(MAX_REPLY_LINE_BYTES * 2, 'x'));
    await conn.sleep(5000);
  });
  assert.deepEqual([ep.error?.code, ep.error?.phase], ['reply.line_too_long', 'greeting']);
  assert.ok(ep.bytes_received <= MAX_REPLY_LINE_BYTES * 2 + 4);
});

test('megabytes of reply stop at the per-endpoint byte cap', async () => {
  const ep = await probeBeside('flood', async (conn) => {
    await conn.send('220 mx.bad.test ESMTP\r\n');
    await conn.readLine();
    const line = `250-${'y'.repeat(200)}\r\n`;
    for (let i = 0; i < 4000 && !conn.closed; i++) await conn.send(line.repeat(10)).catch(() => undefined);
  });
  assert.ok(ep.error?.code === 'bytes_exceeded' || ep.error?.code === 'reply.too_many_lines', JSON.stringify(ep.error));
  assert.equal(ep.error?.phase, 'ehlo');
  assert.ok(ep.bytes_received < MAX_ENDPOINT_BYTES + 256 * 1024, `kept ${ep.bytes_received} bytes`);
});

test('a reset in the middle of the EHLO reply', async () => {
  const ep = await probeBeside('reset', async (conn) => {
    await conn.send('220 mx.bad.test ESMTP\r\n');
    await conn.readLine();
    await conn.send('250-mx.bad.test\r\n250-PIPE');
    conn.reset();
  });
  // Depending on timing the kernel reports the abort as a reset or as a plain close.
  assert.ok(ep.error?.code === 'reset' || ep.error?.code === 'closed', JSON.stringify(ep.error));
  assert.equal(ep.error?.phase, 'ehlo');
  assert.ok(ep.transcript.some((l) => l.dir === 'S' && l.text === '250-mx.bad.test'), 'what arrived is in the transcript');
});

test('a close right after the STARTTLS 220 is a failed handshake, not "no TLS"', async () => {
  const ep = await probeBeside('tlsclose', async (conn) => {
    await conn.send('220 mx.bad.test ESMTP\r\n');
    await conn.readLine();
    await conn.send(EHLO_REPLY);
    await conn.readLine();
    await conn.send('220 2.0.0 Ready to start TLS\r\n');
    await conn.end();
  });
  assert.equal(ep.starttls.offered, true);
  assert.equal(ep.starttls.ok, false);
  assert.equal(ep.error?.phase, 'tls');
  assert.equal(ep.starttls.error?.code, 'tls.handshake');
});

test('garbage instead of a ServerHello', async () => {
  const ep = await probeBeside('tlsgarbage', async (conn) => {
    await conn.send('220 mx.bad.test ESMTP\r\n');
    await conn.readLine();
    await conn.send(EHLO_REPLY);
    await conn.readLine();
    await conn.send('220 go ahead\r\n');
    await conn.sleep(50);
    await conn.send('this is not TLS at all\r\n'.repeat(4));
    await conn.sleep(3000);
  });
  assert.deepEqual([ep.starttls.ok, ep.starttls.error?.code], [false, 'tls.handshake']);
  assert.match(ep.starttls.error?.message ?? '', /TLS handshake failed/);
});

test('a server that accepts MAIL then never answers RCPT costs the budget, and says where', async () => {
  const ep = await probeBeside(
    'rcptsilence',
    async (conn) => {
      await conn.send('220 mx.bad.test ESMTP\r\n');
      await conn.readLine();
      await conn.send(reply(250, 'mx.bad.test', '8BITMIME'));
      await conn.readLine();
      await conn.send('250 2.1.0 Ok\r\n');
      await conn.readLine();
      await conn.sleep(5000);
    },
    1,
  );
  assert.deepEqual([ep.error?.code, ep.error?.phase], ['timeout', 'null_sender']);
  assert.deepEqual(ep.transactions.map((t) => t.outcome), ['error', 'skipped', 'skipped']);
});
