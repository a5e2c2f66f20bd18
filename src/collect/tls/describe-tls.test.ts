import assert from 'node:assert/strict';
import { once } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import { describe, it } from 'node:test';
import { leafCertificate, testCa, type TlsCredentials } from '../../../test/peers/certs.js';
import { describeTls } from './describe-tls.js';

const MX = 'mx.describe.test';
/** What old servers still need, and what the probe's own client allows (connection.ts OPPORTUNISTIC_TLS). */
const LOWEST_SECURITY = 'DEFAULT:@SECLEVEL=0';

/** The TlsInfo a client records handshaking on loopback with a server presenting `credentials`. */
async function describeHandshake(credentials: TlsCredentials) {
  const server = tls.createServer({ key: credentials.key, cert: credentials.cert, ciphers: LOWEST_SECURITY });
  server.on('secureConnection', (socket) => socket.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  try {
    const client = tls.connect({
      host: '127.0.0.1',
      port,
      servername: MX,
      ca: [testCa().cert],
      ciphers: LOWEST_SECURITY,
      rejectUnauthorized: false,
    });
    await once(client, 'secureConnect');
    const info = describeTls(client, MX);
    client.destroy();
    return info;
  } finally {
    server.close();
  }
}

describe('describeTls()', () => {
  it("records each certificate's key and signature: an RSA-1024 leaf signed with SHA-1 under the test CA", async () => {
    const info = await describeHandshake(leafCertificate(MX, { keyType: 'rsa', rsaBits: 1024, digest: 'sha1' }));
    // At security level 0 the chain verifies: the handshake's verdict alone would call it trusted.
    assert.equal(info.chain_trusted, true);
    const [leaf, root] = info.chain;
    assert.deepEqual(
      [leaf?.key_type, leaf?.key_bits, leaf?.signature_algorithm, leaf?.signature_hash, leaf?.self_signed],
      ['RSA', 1024, 'ecdsa-with-SHA1', 'SHA-1', false],
    );
    assert.deepEqual(root?.subject, { CN: 'checker-smtp test CA' });
    assert.deepEqual(
      [root?.key_type, root?.key_bits, root?.signature_algorithm, root?.signature_hash, root?.self_signed],
      ['EC prime256v1', 256, 'ecdsa-with-SHA256', 'SHA-256', true],
    );
    assert.equal(info.chain.length, 2);
  });

  it('calls a self-signed leaf self-signed although it may not sign certificates (no keyCertSign)', async () => {
    const info = await describeHandshake(leafCertificate(MX, { keyType: 'rsa', selfSigned: true }));
    assert.equal(info.chain_trusted, false);
    assert.equal(info.chain.length, 1);
    assert.deepEqual(
      [info.chain[0]?.key_type, info.chain[0]?.key_bits, info.chain[0]?.signature_hash, info.chain[0]?.self_signed],
      ['RSA', 2048, 'SHA-256', true],
    );
  });
});
