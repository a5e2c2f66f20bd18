/**
 * SmtpConnection against real sockets on loopback: scripted SMTP peers
 * (test/peers/scripted-smtp.ts) write exactly the bytes each case needs.
 * Pins how connecting fails, how replies come out in order, how a failure
 * sticks, how STARTTLS keeps plaintext after the 220 from being read, and
 * that close() waits for the TCP socket itself.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { leafCertificate, testCa } from '../../../test/peers/certs.js';
import { closeServer, listen } from '../../../test/peers/listen.js';
import { startScriptedServer, type ConnectionScript, type ScriptedServer } from '../../../test/peers/scripted-smtp.js';
import { MAX_ENDPOINT_BYTES } from '../../model/limits.js';
import type { ProbeError } from '../../model/observation.js';
import { ProbeAbort, SmtpConnection, formatHostPort, type ConnectTarget } from './connection.js';
import { Transcript } from './transcript.js';

const HOST = '127.0.0.1';
/** Upper bound on connecting to a peer on loopback: a broken test fails instead of hanging. */
const CONNECT_WAIT_MS = 5000;
const MX_NAME = 'mx.connection.test';
/** What a man in the middle slips in after the STARTTLS 220, hoping it is read as the EHLO answer. */
const INJECTED = '250-mx.connection.test\r\n250 AUTH PLAIN\r\n';

/** Every TCP client socket this process opens, as node:net creates it (the one under any TLS layer). */
const clientSockets: net.Socket[] = [];
const onClientSocket = (message: unknown) => clientSockets.push((message as { socket: net.Socket }).socket);
before(() => diagnostics.subscribe('net.client.socket', onClientSocket));
after(() => diagnostics.unsubscribe('net.client.socket', onClientSocket));

const peers: ScriptedServer[] = [];
after(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

async function peer(script: ConnectionScript): Promise<ScriptedServer> {
  const p = await startScriptedServer({ host: HOST, script });
  peers.push(p);
  return p;
}

const target = (port: number, address = HOST, family: 4 | 6 = 4): ConnectTarget => ({ address, family, port });

async function connect(p: ScriptedServer, transcript = new Transcript()): Promise<SmtpConnection> {
  return SmtpConnection.open(target(p.port), transcript, AbortSignal.timeout(CONNECT_WAIT_MS));
}

/** The ProbeError a promise rejects with (failing the test when it resolves or throws something else). */
async function probeError(promise: Promise<unknown>): Promise<ProbeError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ProbeAbort, `expected a ProbeAbort, got ${String(err)}`);
    return err.error;
  }
  assert.fail('expected a rejection');
}

/** A loopback port nothing listens on right now (the kernel's pick, released at once). */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, HOST, 0);
  await closeServer(server);
  return port;
}

const serverLines = (t: Transcript) => t.lines.filter((l) => l.dir === 'S').map((l) => l.text);
const events = (t: Transcript) => t.lines.filter((l) => l.dir === '*').map((l) => l.text);

describe('SmtpConnection.open()', () => {
  it('connects and records it in the transcript', async () => {
    const p = await peer(async (conn) => void (await conn.waitClosed()));
    const transcript = new Transcript();
    const conn = await connect(p, transcript);
    await conn.close();
    assert.deepEqual(events(transcript), [`connected to ${HOST}:${p.port}`]);
  });

  it('maps a refused connection to connect.refused, recorded in the transcript', async () => {
    const port = await unusedPort();
    const transcript = new Transcript();
    const error = await probeError(SmtpConnection.open(target(port), transcript, AbortSignal.timeout(CONNECT_WAIT_MS)));
    assert.deepEqual(error, {
      code: 'connect.refused',
      phase: 'connect',
      message: `connection refused by ${HOST}:${port}`,
    });
    assert.deepEqual(events(transcript), [`connection refused by ${HOST}:${port}`]);
  });

  it('maps a budget that runs out while connecting to connect.timeout', async () => {
    const p = await peer(async (conn) => void (await conn.waitClosed()));
    const budget = new AbortController();
    const opening = SmtpConnection.open(target(p.port), new Transcript(), budget.signal);
    // Connecting takes at least one turn of the event loop, even on loopback: the budget runs out first.
    budget.abort();
    assert.deepEqual(await probeError(opening), {
      code: 'connect.timeout',
      phase: 'connect',
      message: 'no answer to the TCP connection within the time budget',
    });
  });

  it('maps a budget already spent to connect.timeout', async () => {
    const p = await peer(async (conn) => void (await conn.waitClosed()));
    const error = await probeError(SmtpConnection.open(target(p.port), new Transcript(), AbortSignal.abort()));
    assert.equal(error.code, 'connect.timeout');
  });

  it(
    'maps no route to the address to connect.unreachable',
    // Linux refuses TCP to a multicast address in connect() itself (ENETUNREACH): no packet leaves the machine.
    { skip: process.platform === 'linux' ? false : 'needs Linux, whose connect() refuses TCP to multicast' },
    async () => {
      const error = await probeError(
        SmtpConnection.open(target(25, '224.0.0.1'), new Transcript(), AbortSignal.timeout(CONNECT_WAIT_MS)),
      );
      assert.deepEqual(error, {
        code: 'connect.unreachable',
        phase: 'connect',
        message: 'no route to 224.0.0.1:25 (ENETUNREACH)',
      });
    },
  );
});

describe('SmtpConnection.read()', () => {
  it('hands out replies in the order they came, whether read before or after they arrived', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 first\r\n');
      await conn.readLine();
      // Three replies in one write: the last two are queued before anyone asks for them.
      await conn.send('250-second\r\n250 still second\r\n251 third\r\n252 fourth\r\n');
      await conn.waitClosed();
    });
    const transcript = new Transcript();
    const conn = await connect(p, transcript);
    const first = await conn.read();
    conn.send('NOOP');
    const rest = [await conn.read(), await conn.read(), await conn.read()];
    await conn.close();
    assert.deepEqual(
      [first, ...rest].map((r) => [r.code, r.lines]),
      [
        [220, ['220 first']],
        [250, ['250-second', '250 still second']],
        [251, ['251 third']],
        [252, ['252 fourth']],
      ],
    );
    assert.deepEqual(
      transcript.lines.map((l) => `${l.dir} ${l.text}`),
      [
        `* connected to ${HOST}:${p.port}`,
        'S 220 first',
        'C NOOP',
        'S 250-second',
        'S 250 still second',
        'S 251 third',
        'S 252 fourth',
      ],
    );
  });

  it('still hands out replies that came before the server closed, then fails every read with the same error', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n250 ok\r\n');
      await conn.end();
    });
    const transcript = new Transcript();
    const conn = await connect(p, transcript);
    conn.phase = 'greeting';
    assert.equal((await conn.read()).code, 220);
    assert.equal((await conn.read()).code, 250);
    conn.phase = 'ehlo';
    const first = await probeError(conn.read());
    assert.deepEqual(first, { code: 'closed', phase: 'ehlo', message: 'the server closed the connection' });
    // Sticky: a later read, even in a later phase, fails with the very same error.
    conn.phase = 'quit';
    assert.deepEqual(await probeError(conn.read()), first);
    assert.deepEqual(
      events(transcript).filter((e) => e !== `connected to ${HOST}:${p.port}`),
      ['the server closed the connection'],
    );
    await conn.close();
  });

  it('fails a read already waiting when the server closes', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n');
      await conn.readLine();
      await conn.end();
    });
    const conn = await connect(p);
    await conn.read();
    const pending = conn.read();
    conn.send('EHLO client.test');
    assert.equal((await probeError(pending)).code, 'closed');
    await conn.close();
  });

  it('maps a reset to reset', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n');
      await conn.reset();
    });
    const conn = await connect(p);
    assert.equal((await conn.read()).code, 220);
    assert.deepEqual(await probeError(conn.read()), {
      code: 'reset',
      phase: 'connect',
      message: 'connection reset by the server (ECONNRESET)',
    });
    await conn.close();
  });

  it("fails with the reply parser's code on a line that is not an SMTP reply", async () => {
    const p = await peer(async (conn) => {
      await conn.send('hello, I am not SMTP\r\n');
      await conn.waitClosed();
    });
    const conn = await connect(p);
    conn.phase = 'greeting';
    const error = await probeError(conn.read());
    assert.equal(error.code, 'reply.malformed');
    assert.equal(error.phase, 'greeting');
    await conn.close();
  });

  it(`fails with bytes_exceeded past ${MAX_ENDPOINT_BYTES} bytes, having handed out the replies before`, async () => {
    const unit = '250 ok\r\n';
    const total = MAX_ENDPOINT_BYTES * 2;
    const p = await peer(async (conn) => {
      const chunk = Buffer.from(unit.repeat(1024));
      for (let sent = 0; sent < total && !conn.closed; sent += chunk.length) await conn.send(chunk);
      await conn.waitClosed();
    });
    const conn = await connect(p);
    let replies = 0;
    let error: ProbeError | null = null;
    while (error === null) {
      try {
        await conn.read();
        replies++;
      } catch (err) {
        assert.ok(err instanceof ProbeAbort);
        error = err.error;
      }
    }
    assert.deepEqual(error, {
      code: 'bytes_exceeded',
      phase: 'connect',
      message: `the server sent more than ${MAX_ENDPOINT_BYTES} bytes`,
    });
    assert.ok(conn.bytesReceived > MAX_ENDPOINT_BYTES, `${conn.bytesReceived} bytes received`);
    assert.ok(replies > 0 && replies * unit.length <= MAX_ENDPOINT_BYTES, `${replies} replies handed out`);
    await conn.close();
  });
});

describe('SmtpConnection.send() and fail()', () => {
  it('writes command lines in one flight and records each in the transcript', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n');
      for (let i = 0; i < 3; i++) await conn.readLine();
      await conn.send('250 a\r\n250 b\r\n250 c\r\n');
      await conn.waitClosed();
    });
    const transcript = new Transcript();
    const conn = await connect(p, transcript);
    await conn.read();
    conn.send('MAIL FROM:<>', 'RCPT TO:<postmaster@example.com>', 'RSET');
    for (let i = 0; i < 3; i++) await conn.read();
    await conn.close();
    const log = p.connections[0]!;
    assert.deepEqual(log.commands, ['MAIL FROM:<>', 'RCPT TO:<postmaster@example.com>', 'RSET']);
    assert.deepEqual(
      log.lines.map((l) => l.sameRead),
      [false, true, true],
      'the three lines arrived in one read',
    );
    assert.deepEqual(
      transcript.lines.filter((l) => l.dir === 'C').map((l) => l.text),
      ['MAIL FROM:<>', 'RCPT TO:<postmaster@example.com>', 'RSET'],
    );
  });

  it('throws the recorded failure instead of writing once the connection failed', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n');
      await conn.end();
    });
    const transcript = new Transcript();
    const conn = await connect(p, transcript);
    await conn.read();
    const failure = await probeError(conn.read());
    assert.throws(
      () => conn.send('QUIT'),
      (err: unknown) => err instanceof ProbeAbort && err.error === failure,
    );
    assert.ok(!transcript.lines.some((l) => l.dir === 'C'), 'nothing recorded as sent');
    await conn.close();
  });

  it('keeps the first failure: a later fail() changes nothing', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n');
      await conn.waitClosed();
    });
    const transcript = new Transcript();
    const conn = await connect(p, transcript);
    await conn.read();
    conn.phase = 'ehlo';
    conn.fail('timeout', 'the 1 s time budget ran out');
    conn.fail('closed', 'something else');
    assert.deepEqual(await probeError(conn.read()), {
      code: 'timeout',
      phase: 'ehlo',
      message: 'the 1 s time budget ran out',
    });
    assert.ok(!events(transcript).includes('something else'));
    await conn.close();
    assert.deepEqual(await probeError(conn.read()), {
      code: 'timeout',
      phase: 'ehlo',
      message: 'the 1 s time budget ran out',
    });
  });
});

describe('SmtpConnection STARTTLS', () => {
  const credentials = leafCertificate(MX_NAME);

  it('reads the STARTTLS reply without a byte past it; startTls() discards what followed and counts it', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n');
      await conn.readLine(); // STARTTLS
      await conn.send(`220 2.0.0 Ready\r\n${INJECTED}`);
      if (!(await conn.upgradeTls(credentials))) return;
      await conn.readLine(); // EHLO, inside TLS
      await conn.send('250-mx.connection.test\r\n250 PIPELINING\r\n');
      await conn.waitClosed();
    });
    const transcript = new Transcript();
    const conn = await connect(p, transcript);
    await conn.read();
    conn.send('STARTTLS');
    const ready = await conn.readStartTlsReply();
    assert.deepEqual(ready.lines, ['220 2.0.0 Ready']);
    const { tls, discarded } = await conn.startTls(MX_NAME, [testCa().cert], AbortSignal.timeout(CONNECT_WAIT_MS));
    assert.equal(discarded, Buffer.byteLength(INJECTED));
    assert.equal(tls.chain_trusted, true);
    assert.equal(tls.sni, MX_NAME);
    conn.send('EHLO client.test');
    // The answer is the server's own, over TLS: the injected lines were never taken for it.
    assert.deepEqual((await conn.read()).lines, ['250-mx.connection.test', '250 PIPELINING']);
    await conn.close();
    assert.ok(!serverLines(transcript).includes('250 AUTH PLAIN'), 'the injected lines were never parsed');
    assert.ok(events(transcript).includes(`discarded ${discarded} bytes of plaintext sent after the STARTTLS 220`));
    assert.ok(events(transcript).some((e) => e.startsWith('TLS established: TLSv1.')));
  });

  it('counts nothing when the server sent nothing after its 220', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n');
      await conn.readLine();
      await conn.send('220 2.0.0 Ready\r\n');
      if (await conn.upgradeTls(credentials)) await conn.waitClosed();
    });
    const transcript = new Transcript();
    const conn = await connect(p, transcript);
    await conn.read();
    conn.send('STARTTLS');
    await conn.readStartTlsReply();
    const { discarded } = await conn.startTls(MX_NAME, [testCa().cert], AbortSignal.timeout(CONNECT_WAIT_MS));
    await conn.close();
    assert.equal(discarded, 0);
    assert.ok(!events(transcript).some((e) => e.startsWith('discarded')));
  });

  it('holds back what follows a refused STARTTLS until resumePlaintext()', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n');
      await conn.readLine();
      await conn.send('454 4.7.0 TLS not available\r\n250 2.0.0 next\r\n');
      await conn.waitClosed();
    });
    const transcript = new Transcript();
    const conn = await connect(p, transcript);
    await conn.read();
    conn.send('STARTTLS');
    assert.equal((await conn.readStartTlsReply()).code, 454);
    assert.ok(!serverLines(transcript).includes('250 2.0.0 next'), 'nothing past the STARTTLS reply was parsed');
    conn.resumePlaintext();
    assert.deepEqual((await conn.read()).lines, ['250 2.0.0 next']);
    await conn.close();
  });

  it('fails with tls.handshake when the server hangs up instead of negotiating', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n');
      await conn.readLine();
      await conn.send('220 2.0.0 Ready\r\n');
      await conn.end();
    });
    const conn = await connect(p);
    await conn.read();
    conn.send('STARTTLS');
    await conn.readStartTlsReply();
    conn.phase = 'tls';
    const error = await probeError(conn.startTls(MX_NAME, [testCa().cert], AbortSignal.timeout(CONNECT_WAIT_MS)));
    assert.equal(error.code, 'tls.handshake');
    assert.equal(error.phase, 'tls');
    assert.match(error.message, /^TLS handshake failed: /);
    assert.equal((await probeError(conn.read())).code, 'tls.handshake', 'the failure sticks');
    await conn.close();
  });
});

describe('SmtpConnection.close()', () => {
  it('has the TCP socket under TLS closed by the time it resolves', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n');
      await conn.readLine();
      await conn.send('220 2.0.0 Ready\r\n');
      if (await conn.upgradeTls(leafCertificate(MX_NAME))) await conn.waitClosed();
    });
    const opened = clientSockets.length;
    const conn = await connect(p);
    const [tcp] = clientSockets.slice(opened);
    assert.ok(tcp, 'the TCP socket was seen as node:net created it');
    await conn.read();
    conn.send('STARTTLS');
    await conn.readStartTlsReply();
    await conn.startTls(MX_NAME, [testCa().cert], AbortSignal.timeout(CONNECT_WAIT_MS));
    await conn.close();
    // A connection gate hands the address on once close() resolves: by then our connection must be gone,
    // not only the TLS layer above it.
    assert.equal(tcp.destroyed, true);
    assert.equal(tcp.closed, true);
  });

  it('resolves at once when the connection is already closed, and reads then say the checker closed it', async () => {
    const p = await peer(async (conn) => {
      await conn.send('220 hello\r\n');
      await conn.waitClosed();
    });
    const conn = await connect(p);
    await conn.read();
    conn.phase = 'quit';
    await conn.close();
    await conn.close();
    assert.deepEqual(await probeError(conn.read()), {
      code: 'closed',
      phase: 'quit',
      message: 'closed by the checker',
    });
    assert.throws(() => conn.send('QUIT'), ProbeAbort);
  });
});

describe('formatHostPort()', () => {
  it('brackets IPv6 addresses and leaves IPv4 as is', () => {
    assert.equal(formatHostPort({ address: '192.0.2.1', port: 25 }), '192.0.2.1:25');
    assert.equal(formatHostPort({ address: '2001:db8::1', port: 2525 }), '[2001:db8::1]:2525');
  });
});
