import assert from 'node:assert/strict';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { describe, it } from 'node:test';
import { leafCertificate } from './certs.js';
import { RawClient } from './raw-client.js';
import {
  type ConnectionScript,
  reply,
  runDialogue,
  type ScriptedServer,
  startScriptedServer,
} from './scripted-smtp.js';

const MX = 'mx.scripted.test';

async function withServer(script: ConnectionScript, body: (server: ScriptedServer) => Promise<void>): Promise<void> {
  const server = await startScriptedServer({ host: '127.0.0.1', port: 0, script });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** Waits until `predicate` holds (server-side logging happens on the server's own schedule). */
async function eventually(predicate: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const dialogue: ConnectionScript = (conn) =>
  runDialogue(conn, { hostname: MX, extensions: ['PIPELINING', 'STARTTLS'], tls: leafCertificate(MX) });

describe('startScriptedServer()', () => {
  it('runs a dialogue and logs each client line with pipelining flags', async () => {
    await withServer(dialogue, async (server) => {
      const client = await RawClient.connect('127.0.0.1', server.port);
      assert.deepEqual(await client.readReply(), { code: 220, lines: [`${MX} ESMTP`] });
      assert.deepEqual((await client.command('EHLO client.test')).lines, [MX, 'PIPELINING', 'STARTTLS']);
      // One write, three commands: pipelined.
      client.send('MAIL FROM:<>\r\nRCPT TO:<postmaster@scripted.test>\r\nRSET\r\n');
      assert.equal((await client.readReply()).code, 250);
      assert.equal((await client.readReply()).code, 250);
      assert.equal((await client.readReply()).code, 250);
      assert.equal((await client.command('QUIT')).code, 221);
      assert.ok(await client.waitClosed());

      const [log] = server.connections;
      assert.ok(log);
      assert.deepEqual(log.commands, [
        'EHLO client.test',
        'MAIL FROM:<>',
        'RCPT TO:<postmaster@scripted.test>',
        'RSET',
        'QUIT',
      ]);
      assert.deepEqual(
        log.lines.map((line) => [line.sameRead, line.beforeReply]),
        [
          [false, false],
          [false, false],
          [true, true],
          [true, true],
          [false, false],
        ],
      );
      assert.equal(log.pipelined, true);
      assert.equal(log.spokeEarly, false);
      assert.equal(log.sentData, false);
      assert.equal(log.error, undefined);
      await eventually(() => log.closedAt !== undefined);
    });
  });

  it('quietFor() tells a patient client from one that talks before the greeting ends', async () => {
    const verdicts: boolean[] = [];
    const script: ConnectionScript = async (conn) => {
      await conn.send('220-first line\r\n');
      verdicts.push(await conn.quietFor(100));
      await conn.send('220 done\r\n');
      await conn.readLine();
    };
    await withServer(script, async (server) => {
      const patient = await RawClient.connect('127.0.0.1', server.port);
      await patient.readReply();
      patient.send('QUIT\r\n');
      const eager = await RawClient.connect('127.0.0.1', server.port);
      eager.send('EHLO too.early\r\n');
      await eager.readReply();
      eager.send('QUIT\r\n');
      await eventually(() => server.connections.every((log) => log.closedAt !== undefined));
      patient.close();
      eager.close();
      assert.deepEqual(verdicts, [true, false]);
      assert.deepEqual(
        server.connections.map((log) => log.spokeEarly),
        [false, true],
      );
    });
  });

  it('sendSlowly() delivers a line in pieces', async () => {
    const script: ConnectionScript = async (conn) => {
      await conn.sendSlowly('220 slowly but surely\r\n', { chunkBytes: 4, delayMs: 10 });
      await conn.waitClosed();
    };
    await withServer(script, async (server) => {
      const socket = net.connect({ host: '127.0.0.1', port: server.port });
      const chunks: string[] = [];
      socket.on('data', (chunk) => chunks.push(chunk.toString()));
      await eventually(() => chunks.join('').endsWith('\r\n'));
      socket.destroy();
      assert.equal(chunks.join(''), '220 slowly but surely\r\n');
      assert.ok(chunks.length > 3, `expected pieces, got ${JSON.stringify(chunks)}`);
    });
  });

  it('upgradeTls() runs STARTTLS and logs the lines sent inside TLS', async () => {
    await withServer(dialogue, async (server) => {
      const client = await RawClient.connect('127.0.0.1', server.port);
      await client.readReply();
      await client.command('EHLO client.test');
      assert.equal((await client.command('STARTTLS')).code, 220);
      const secure = await client.startTls({ servername: MX, ca: leafCertificate(MX).ca, rejectUnauthorized: true });
      assert.equal(secure.authorized, true);
      assert.deepEqual((await client.command('EHLO client.test')).lines, [MX, 'PIPELINING']);
      assert.equal((await client.command('QUIT')).code, 221);
      client.close();
      const [log] = server.connections;
      assert.ok(log);
      await eventually(() => log.closedAt !== undefined);
      assert.ok(log.tls?.protocol.startsWith('TLSv1.'));
      assert.deepEqual(
        log.lines.filter((line) => line.tls).map((line) => line.text),
        ['EHLO client.test', 'QUIT'],
      );
    });
  });

  it('upgradeTls() discards plaintext pipelined behind STARTTLS', async () => {
    await withServer(dialogue, async (server) => {
      const client = await RawClient.connect('127.0.0.1', server.port);
      await client.readReply();
      await client.command('EHLO client.test');
      client.send('STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n');
      assert.equal((await client.readReply()).code, 220);
      await client.startTls();
      assert.deepEqual((await client.command('EHLO client.test')).lines, [MX, 'PIPELINING']);
      // Had the injected MAIL survived, this would be a nested MAIL (503).
      assert.equal((await client.command('MAIL FROM:<>')).code, 250);
      client.close();
      const [log] = server.connections;
      assert.ok(log);
      await eventually(() => log.closedAt !== undefined);
      assert.deepEqual(log.discardedBeforeTls, ['MAIL FROM:<injected@evil.test>']);
    });
  });

  it('upgradeTls() accepts a ClientHello sent in the same write as STARTTLS', async () => {
    await withServer(dialogue, async (server) => {
      const socket = net.connect({ host: '127.0.0.1', port: server.port });
      socket.setNoDelay(true);
      // A client that does not wait for the 220: it skips that line itself and
      // corks STARTTLS so that the ClientHello leaves in the same segment.
      let skipping = true;
      let skipped = Buffer.alloc(0);
      const transport = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          socket.write(chunk, callback);
          socket.uncork();
        },
      });
      await new Promise((resolve) => socket.once('connect', resolve));
      const greetingAndEhlo = new Promise<void>((resolve) => {
        let seen = '';
        const onData = (chunk: Buffer): void => {
          seen += chunk.toString();
          if (/\r\n250 STARTTLS\r\n$/.test(seen)) {
            socket.off('data', onData);
            resolve();
          }
        };
        socket.on('data', onData);
      });
      socket.write('EHLO client.test\r\n');
      await greetingAndEhlo;
      socket.on('data', (chunk: Buffer) => {
        if (skipping) {
          skipped = Buffer.concat([skipped, chunk]);
          const end = skipped.indexOf('\r\n');
          if (end < 0) return;
          skipping = false;
          chunk = skipped.subarray(end + 2);
          if (chunk.length === 0) return;
        }
        transport.push(chunk);
      });
      socket.cork();
      socket.write('STARTTLS\r\n');
      const secure = tls.connect({ socket: transport as unknown as net.Socket, rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => {
        secure.once('secureConnect', resolve);
        secure.once('error', reject);
      });
      const ehlo = new Promise<string>((resolve) => secure.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      secure.write('EHLO client.test\r\n');
      assert.match(await ehlo, /^250-mx\.scripted\.test\r\n250 PIPELINING\r\n$/);
      secure.destroy();
      socket.destroy();
      const [log] = server.connections;
      assert.ok(log);
      await eventually(() => log.closedAt !== undefined);
      assert.deepEqual(log.commands, ['EHLO client.test', 'STARTTLS', 'EHLO client.test']);
      assert.deepEqual(log.discardedBeforeTls, []);
    });
  });

  it('upgradeTls() with TLS 1.0 only: an old client completes, a modern one fails and is logged', async () => {
    const rsa = leafCertificate(MX, { keyType: 'rsa' });
    const tls10: ConnectionScript = (conn) =>
      runDialogue(conn, {
        hostname: MX,
        extensions: ['STARTTLS'],
        tls: { ...rsa, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' },
      });
    await withServer(tls10, async (server) => {
      const old = await RawClient.connect('127.0.0.1', server.port);
      await old.readReply();
      await old.command('EHLO client.test');
      await old.command('STARTTLS');
      const secure = await old.startTls({ minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
      assert.equal(secure.getProtocol(), 'TLSv1');
      assert.equal((await old.command('EHLO client.test')).code, 250);
      old.close();

      const modern = await RawClient.connect('127.0.0.1', server.port);
      await modern.readReply();
      await modern.command('EHLO client.test');
      await modern.command('STARTTLS');
      await assert.rejects(modern.startTls());
      modern.close();

      await eventually(() => server.connections.every((log) => log.closedAt !== undefined));
      assert.equal(server.connections[0]?.tls?.protocol, 'TLSv1');
      assert.ok(server.connections[1]?.tlsError, 'the failed handshake is logged');
    });
  });

  it('reset() sends a TCP RST', async () => {
    await withServer(
      async (conn) => {
        await conn.send('220 about to reset\r\n');
        await conn.readLine();
        await conn.reset();
      },
      async (server) => {
        const client = await RawClient.connect('127.0.0.1', server.port);
        await client.readReply();
        const socket = (client as unknown as { socket: net.Socket }).socket;
        const error = new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve));
        client.send('EHLO client.test\r\n');
        assert.equal((await error).code, 'ECONNRESET');
      },
    );
  });

  it('reset() right after a partial reply still reaches the client as ECONNRESET, not as an end of stream', async () => {
    // Repeated: the FIN-looking outcome used to depend on whether data and RST met in one poll.
    for (let round = 0; round < 20; round++) {
      await withServer(
        async (conn) => {
          await conn.send('220 about to reset\r\n');
          await conn.readLine();
          await conn.send('250-half a reply\r\n250-PIPE');
          await conn.reset();
        },
        async (server) => {
          const client = await RawClient.connect('127.0.0.1', server.port);
          await client.readReply();
          const socket = (client as unknown as { socket: net.Socket }).socket;
          const outcome = new Promise<string>((resolve) => {
            socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
            socket.once('end', () => resolve('end'));
          });
          client.send('EHLO client.test\r\n');
          assert.equal(await outcome, 'ECONNRESET', `round ${round}`);
          assert.match(client.received, /250-PIPE$/);
        },
      );
    }
  });

  it('close() ends connections whose script still waits, without waiting for the client', async () => {
    const server = await startScriptedServer({ script: (conn) => conn.waitClosed() });
    const client = await RawClient.connect('127.0.0.1', server.port);
    const started = Date.now();
    await eventually(() => server.connections.length === 1);
    await server.close();
    assert.ok(Date.now() - started < 1000);
    assert.ok(await client.waitClosed());
  });

  it('records a failing script as an error of the connection', async () => {
    await withServer(
      async (conn) => {
        await conn.send(reply(220, 'hello'));
        throw new Error('bug in the scenario');
      },
      async (server) => {
        const client = await RawClient.connect('127.0.0.1', server.port);
        await client.readReply();
        assert.ok(await client.waitClosed());
        assert.match(server.connections[0]?.error ?? '', /bug in the scenario/);
      },
    );
  });
});
