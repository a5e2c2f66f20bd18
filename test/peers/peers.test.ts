import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { leafCertificate, testCa } from './certs.js';
import { listenAll, startOnSamePort } from './listen.js';
import { RawClient } from './raw-client.js';
import { type ScenarioName, type ScenarioPeer, scenarios } from './smtp-scenarios.js';

const DOMAIN = 'example.test';
const MX = `mx.${DOMAIN}`;

/** Starts a scenario on 127.0.0.1, connects a client and reads the greeting. */
async function connect(
  name: ScenarioName,
  started: ScenarioPeer[],
): Promise<{ peer: ScenarioPeer; client: RawClient }> {
  const peer = await scenarios[name]({ host: '127.0.0.1', port: 0, domain: DOMAIN });
  started.push(peer);
  const client = await RawClient.connect(peer.host, peer.port);
  return { peer, client };
}

/** Greeting, EHLO, STARTTLS (verifying the certificate) and EHLO again; returns the plaintext EHLO keywords. */
async function greetAndStartTls(client: RawClient): Promise<string[]> {
  assert.equal((await client.readReply()).code, 220);
  const ehlo = await client.command('EHLO client.test');
  assert.equal(ehlo.code, 250);
  assert.equal((await client.command('STARTTLS')).code, 220);
  const secure = await client.startTls({ servername: MX, ca: testCa().cert, rejectUnauthorized: true });
  assert.equal(secure.authorized, true);
  assert.equal((await client.command('EHLO client.test')).code, 250);
  return ehlo.lines.slice(1);
}

describe('smtp scenarios', () => {
  const started: ScenarioPeer[] = [];
  after(() => Promise.all(started.map((peer) => peer.close())));

  it('healthy: STARTTLS, PIPELINING, postmaster and <> accepted, relaying refused', async () => {
    const { peer, client } = await connect('healthy', started);
    const keywords = await greetAndStartTls(client);
    assert.ok(keywords.includes('PIPELINING') && keywords.includes('STARTTLS'), keywords.join(','));
    assert.ok(!keywords.some((k) => k.startsWith('AUTH')));
    client.send(`MAIL FROM:<>\r\nRCPT TO:<postmaster@${DOMAIN}>\r\nRCPT TO:<someone@elsewhere.test>\r\n`);
    assert.equal((await client.readReply()).code, 250);
    assert.equal((await client.readReply()).code, 250);
    assert.deepEqual(await client.readReply(), {
      code: 554,
      lines: ['5.7.1 <someone@elsewhere.test>: Relay access denied'],
    });
    assert.equal((await client.command('RSET')).code, 250);
    assert.equal((await client.command('QUIT')).code, 221);
    client.close();
    assert.deepEqual(peer.commandsAfterTls, [
      'EHLO client.test',
      'MAIL FROM:<>',
      `RCPT TO:<postmaster@${DOMAIN}>`,
      'RCPT TO:<someone@elsewhere.test>',
      'RSET',
      'QUIT',
    ]);
    assert.equal(peer.pipelined, true);
    assert.equal(peer.sentData, false);
    assert.equal(peer.spokeEarly, false);
    assert.equal(peer.connections[0]?.tls?.protocol, 'TLSv1.3');
  });

  it('healthy: a client talking before the greeting is recorded (and told off by smtp-server)', async () => {
    const { peer, client } = await connect('healthy', started);
    client.send('EHLO too.early\r\n');
    assert.equal((await client.readReply()).code, 421);
    assert.ok(await client.waitClosed());
    assert.equal(peer.spokeEarly, true);
  });

  it('noStartTls: no STARTTLS advertised nor accepted', async () => {
    const { client } = await connect('noStartTls', started);
    await client.readReply();
    const ehlo = await client.command('EHLO client.test');
    assert.ok(!ehlo.lines.includes('STARTTLS'));
    assert.ok((await client.command('STARTTLS')).code >= 500);
    client.close();
  });

  it('authBeforeTls: AUTH PLAIN LOGIN advertised before STARTTLS', async () => {
    const { client } = await connect('authBeforeTls', started);
    await client.readReply();
    const ehlo = await client.command('EHLO client.test');
    assert.ok(ehlo.lines.includes('AUTH PLAIN LOGIN') && ehlo.lines.includes('STARTTLS'), ehlo.lines.join(','));
    client.close();
  });

  it('ehloRefused: EHLO gets 502, HELO works', async () => {
    const { peer, client } = await connect('ehloRefused', started);
    await client.readReply();
    assert.equal((await client.command('EHLO client.test')).code, 502);
    assert.deepEqual(await client.command('HELO client.test'), { code: 250, lines: [MX] });
    assert.equal((await client.command('MAIL FROM:<>')).code, 250);
    assert.equal((await client.command(`RCPT TO:<postmaster@${DOMAIN}>`)).code, 250);
    assert.equal((await client.command('RCPT TO:<x@elsewhere.test>')).code, 554);
    assert.equal((await client.command('QUIT')).code, 221);
    assert.ok(await client.waitClosed());
    assert.equal(peer.connections[0]?.error, undefined);
  });

  it('greeting554: refuses service, answers QUIT', async () => {
    const { client } = await connect('greeting554', started);
    assert.equal((await client.readReply()).code, 554);
    assert.equal((await client.command('EHLO client.test')).code, 503);
    assert.equal((await client.command('QUIT')).code, 221);
    assert.ok(await client.waitClosed());
  });

  it('greeting421: greets with 421 and closes', async () => {
    const { client } = await connect('greeting421', started);
    assert.equal((await client.readReply()).code, 421);
    assert.ok(await client.waitClosed());
  });

  it('slowGreeting: a patient client gets the whole multi-line greeting', async () => {
    const { peer, client } = await connect('slowGreeting', started);
    const greeting = await client.readReply();
    assert.equal(greeting.code, 220);
    assert.equal(greeting.lines.length, 3);
    assert.equal((await client.command('EHLO client.test')).code, 250);
    assert.equal((await client.command('QUIT')).code, 221);
    assert.equal(peer.spokeEarly, false);
  });

  it('slowGreeting: a client talking before the last line is dropped with 554', async () => {
    const { peer, client } = await connect('slowGreeting', started);
    client.send('EHLO too.early\r\n');
    assert.ok(await client.waitClosed());
    assert.match(client.received, /^220-[^]*\r\n554 5\.5\.1 [^\r\n]*\r\n$/);
    assert.equal(peer.spokeEarly, true);
  });

  it('openRelay: accepts a recipient elsewhere', async () => {
    const { client } = await connect('openRelay', started);
    await greetAndStartTls(client);
    assert.equal((await client.command('MAIL FROM:<probe@checker.test>')).code, 250);
    assert.equal((await client.command('RCPT TO:<someone@elsewhere.test>')).code, 250);
    client.close();
  });

  it('nullSenderRefused: 550 at MAIL FROM:<>', async () => {
    const { client } = await connect('nullSenderRefused', started);
    await greetAndStartTls(client);
    assert.equal((await client.command('MAIL FROM:<>')).code, 550);
    client.close();
  });

  it('postmasterRefused: 550 5.1.1 at RCPT', async () => {
    const { client } = await connect('postmasterRefused', started);
    await greetAndStartTls(client);
    assert.equal((await client.command('MAIL FROM:<>')).code, 250);
    const rcpt = await client.command(`RCPT TO:<postmaster@${DOMAIN}>`);
    assert.equal(rcpt.code, 550);
    assert.match(rcpt.lines[0] ?? '', /^5\.1\.1 /);
    client.close();
  });

  it('greylisting: 450 4.2.0 at every RCPT', async () => {
    const { client } = await connect('greylisting', started);
    await greetAndStartTls(client);
    assert.equal((await client.command('MAIL FROM:<>')).code, 250);
    const rcpt = await client.command(`RCPT TO:<postmaster@${DOMAIN}>`);
    assert.equal(rcpt.code, 450);
    assert.match(rcpt.lines[0] ?? '', /^4\.2\.0 /);
    assert.equal((await client.command('RCPT TO:<x@elsewhere.test>')).code, 450);
    client.close();
  });

  it('silent: accepts the connection and says nothing', async () => {
    const { peer, client } = await connect('silent', started);
    await assert.rejects(client.readReply(200), /No complete reply/);
    client.close();
    assert.equal(peer.connections.length, 1);
  });

  it('noPipelining: a patient client gets through, a pipelining one is failed with 554 5.5.0', async () => {
    const { peer, client } = await connect('noPipelining', started);
    const keywords = await greetAndStartTls(client);
    assert.ok(!keywords.includes('PIPELINING'));
    assert.equal((await client.command('MAIL FROM:<>')).code, 250);
    assert.equal((await client.command(`RCPT TO:<postmaster@${DOMAIN}>`)).code, 250);
    assert.equal((await client.command('QUIT')).code, 221);
    assert.equal(peer.pipelined, false);

    const eager = await RawClient.connect(peer.host, peer.port);
    await eager.readReply();
    await eager.command('EHLO client.test');
    eager.send(`MAIL FROM:<>\r\nRCPT TO:<postmaster@${DOMAIN}>\r\n`);
    assert.deepEqual(await eager.readReply(), { code: 554, lines: ['5.5.0 Error: SMTP protocol synchronization'] });
    assert.ok(await eager.waitClosed());
    assert.equal(peer.pipelined, true);
  });

  it('starttlsInjection: plaintext follows the 220 in the same write; what the client sends inside TLS is recorded', async () => {
    const { peer, client } = await connect('starttlsInjection', started);
    await client.readReply();
    await client.command('EHLO client.test');
    client.send('STARTTLS\r\n');
    // The 220 and the injected lines come in one write, so they are here together.
    assert.equal((await client.readReply()).code, 220);
    await client.startTls();
    assert.equal(client.discardedOnTls, '250-evil\r\n250 PIPELINING\r\n');
    const ehlo = await client.command('EHLO client.test');
    assert.ok(!ehlo.lines.includes('PIPELINING'));
    assert.equal((await client.command('QUIT')).code, 221);
    assert.deepEqual(peer.commandsAfterTls, ['EHLO client.test', 'QUIT']);
    const serverWrite = peer.connections[0]?.transcript.find((entry) => entry.text.includes('evil'));
    assert.equal(serverWrite?.text, '220 2.0.0 Ready to start TLS\r\n250-evil\r\n250 PIPELINING\r\n');
  });

  it('tls10Only: STARTTLS completes with TLS 1.0 and an RSA certificate', async () => {
    const { peer, client } = await connect('tls10Only', started);
    await client.readReply();
    await client.command('EHLO client.test');
    await client.command('STARTTLS');
    const secure = await client.startTls({ minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    assert.equal(secure.getProtocol(), 'TLSv1');
    assert.equal(
      new X509Certificate(secure.getPeerX509Certificate()?.raw ?? Buffer.alloc(0)).publicKey.asymmetricKeyType,
      'rsa',
    );
    assert.equal((await client.command('EHLO client.test')).code, 250);
    client.close();
    assert.deepEqual(peer.commandsAfterTls, ['EHLO client.test']);
  });

  it('uses the given domain and MX name', async () => {
    const peer = await scenarios.healthy({
      host: '127.0.0.1',
      port: 0,
      domain: 'other.test',
      mxName: 'smtp.other.test',
    });
    started.push(peer);
    const client = await RawClient.connect(peer.host, peer.port);
    assert.match((await client.readReply()).lines[0] ?? '', /^smtp\.other\.test /);
    await client.command('EHLO client.test');
    await client.command('STARTTLS');
    const secure = await client.startTls({
      servername: 'smtp.other.test',
      ca: testCa().cert,
      rejectUnauthorized: true,
    });
    assert.equal(secure.authorized, true);
    await client.command('EHLO client.test');
    await client.command('MAIL FROM:<>');
    assert.equal((await client.command('RCPT TO:<postmaster@other.test>')).code, 250);
    assert.equal((await client.command(`RCPT TO:<postmaster@${DOMAIN}>`)).code, 554);
    client.close();
  });
});

describe('closing peers', () => {
  it('close() is quick with a client connected, even in the middle of a STARTTLS handshake', async () => {
    for (const name of ['healthy', 'noPipelining'] as const) {
      const peer = await scenarios[name]({ host: '127.0.0.1', port: 0, domain: DOMAIN });
      const idle = await RawClient.connect(peer.host, peer.port);
      const stuck = await RawClient.connect(peer.host, peer.port);
      await stuck.readReply();
      await stuck.command('EHLO client.test');
      assert.equal((await stuck.command('STARTTLS')).code, 220);
      // `stuck` never sends its ClientHello.
      const started = Date.now();
      await peer.close();
      assert.ok(Date.now() - started < 1000, `${name} took ${Date.now() - started} ms to close`);
      assert.ok(await idle.waitClosed());
      assert.ok(await stuck.waitClosed());
    }
  });
});

describe('same port on several loopback addresses', () => {
  it('startOnSamePort() runs scenarios on 127.0.0.2, 127.0.0.3 and ::1 on one port', async () => {
    const { port, peers } = await startOnSamePort([
      (p) => scenarios.healthy({ host: '127.0.0.2', port: p, domain: DOMAIN }),
      (p) => scenarios.greeting554({ host: '127.0.0.3', port: p, domain: DOMAIN }),
      (p) => scenarios.greeting421({ host: '::1', port: p, domain: DOMAIN }),
    ]);
    try {
      assert.deepEqual(
        peers.map((peer) => peer.port),
        [port, port, port],
      );
      const codes: number[] = [];
      for (const host of ['127.0.0.2', '127.0.0.3', '::1']) {
        const client = await RawClient.connect(host, port);
        codes.push((await client.readReply()).code);
        client.close();
      }
      assert.deepEqual(codes, [220, 554, 421]);
    } finally {
      await Promise.all(peers.map((peer) => peer.close()));
    }
  });

  it('startOnSamePort() retries on a new port when one host has it taken, closing what it started', async () => {
    let attempts = 0;
    const closed: number[] = [];
    const fake = (port: number, fail: boolean) => async () => {
      if (fail && attempts++ === 0) throw Object.assign(new Error('taken'), { code: 'EADDRINUSE' });
      return { port: port || 40000 + attempts, close: async () => void closed.push(port) };
    };
    const { port, peers } = await startOnSamePort([(p) => fake(p, false)(), (p) => fake(p, true)()]);
    assert.equal(attempts, 2);
    assert.deepEqual(closed, [0], 'the first attempt was closed');
    assert.equal(peers.length, 2);
    assert.equal(peers[1]?.port, port);
  });

  it('listenAll() gives up after bounded attempts when no common port exists', async () => {
    const servers = ['127.0.0.2', '127.0.0.2'].map((host) => ({ host, server: net.createServer() }));
    await assert.rejects(listenAll(servers), /No port free on all of 127\.0\.0\.2, 127\.0\.0\.2/);
    assert.ok(servers.every(({ server }) => !server.listening));
  });

  it('listenAll() listens plain servers on one port', async () => {
    const hosts = ['127.0.0.2', '127.0.0.3', '::1'];
    const servers = hosts.map((host) => ({
      host,
      server: net.createServer((socket) => socket.end(`hello from ${host}\r\n`)),
    }));
    try {
      const port = await listenAll(servers);
      for (const { host } of servers) {
        const client = await RawClient.connect(host, port);
        assert.ok(await client.waitClosed());
        assert.equal(client.received, `hello from ${host}\r\n`);
      }
    } finally {
      await Promise.all(servers.map(({ server }) => new Promise((resolve) => server.close(resolve))));
    }
  });
});

describe('certificates', () => {
  it('leafCertificate() signs for the names with the test CA, and caches', () => {
    const leaf = leafCertificate([MX, '127.0.0.2']);
    const cert = new X509Certificate(leaf.cert);
    assert.equal(cert.subjectAltName, `DNS:${MX}, IP Address:127.0.0.2`);
    assert.ok(cert.verify(new X509Certificate(testCa().cert).publicKey));
    assert.equal(leaf.ca, testCa().cert);
    assert.equal(leafCertificate([MX, '127.0.0.2']), leaf);
  });

  it('leafCertificate() makes self-signed, RSA and expired certificates', () => {
    const self = leafCertificate('self.example.test', { selfSigned: true });
    assert.equal(self.ca, self.cert);
    assert.ok(new X509Certificate(self.cert).verify(new X509Certificate(self.cert).publicKey));
    const rsa = new X509Certificate(leafCertificate(MX, { keyType: 'rsa' }).cert);
    assert.equal(rsa.publicKey.asymmetricKeyType, 'rsa');
    assert.equal(rsa.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    const expired = new X509Certificate(
      leafCertificate('old.example.test', {
        notBefore: new Date('2020-01-01T00:00:00Z'),
        notAfter: new Date('2021-01-01T00:00:00Z'),
      }).cert,
    );
    assert.equal(new Date(expired.validTo).toISOString(), '2021-01-01T00:00:00.000Z');
  });
});
