import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import tls from 'node:tls';
import { once } from 'node:events';
import net from 'node:net';
import { leafCertificate } from '../../../test/peers/certs.js';
import { tlsErrorMessage } from './tls-error-message.js';

/** The message of the error a client gets handshaking with `server` (on loopback) with `options`. */
async function handshakeError(server: net.Server, options: tls.ConnectionOptions): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  try {
    const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
    const [err] = (await once(client, 'error')) as [Error];
    client.destroy();
    return err.message;
  } finally {
    server.close();
  }
}

describe('tlsErrorMessage()', () => {
  it('keeps the reason and the alert of an OpenSSL entry, without thread id, code, function or source path', () => {
    const raw =
      'C0B7B8F5A37F0000:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 40\n';
    assert.equal(tlsErrorMessage(raw), 'sslv3 alert handshake failure (SSL alert number 40)');
  });

  it('drops an empty data field and reads entries without a function name (OpenSSL 3 builds)', () => {
    assert.equal(
      tlsErrorMessage('40E7A1D2:error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:354:\n'),
      'wrong version number',
    );
    assert.equal(
      tlsErrorMessage('error:0A000410:SSL routines::sslv3 alert handshake failure'),
      'sslv3 alert handshake failure',
    );
  });

  it('reads the OpenSSL 1.1 format too', () => {
    assert.equal(
      tlsErrorMessage(
        '140736:error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:ssl/record/rec_layer_s3.c:1543:SSL alert number 40',
      ),
      'sslv3 alert handshake failure (SSL alert number 40)',
    );
  });

  it('joins several entries on one line and says a repeated one once', () => {
    const raw = [
      'AB:error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:ssl/statem/statem_clnt.c:1889:',
      'AB:error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:ssl/statem/statem_clnt.c:1889:',
      'AB:error:0A000438:SSL routines:ssl3_read_bytes:tlsv1 alert internal error:ssl/record/rec_layer_s3.c:1605:SSL alert number 80',
      '',
    ].join('\n');
    assert.equal(tlsErrorMessage(raw), 'certificate verify failed; tlsv1 alert internal error (SSL alert number 80)');
  });

  it('keeps a message that is not an OpenSSL entry, white space folded', () => {
    assert.equal(
      tlsErrorMessage('Client network socket disconnected before\n  secure TLS connection was established'),
      'Client network socket disconnected before secure TLS connection was established',
    );
    assert.equal(tlsErrorMessage('read ECONNRESET'), 'read ECONNRESET');
    assert.equal(tlsErrorMessage(''), '');
  });

  it('cleans what Node says when a real server refuses the handshake with an alert', async () => {
    // The server takes one TLS 1.2 suite, the client offers another: the server answers handshake_failure (40).
    const server = tls.createServer({
      ...leafCertificate('mx.example.test', { keyType: 'rsa' }),
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
    });
    server.on('tlsClientError', () => undefined);
    const raw = await handshakeError(server, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' });
    assert.match(raw, /deps\/openssl|\.c:\d+/, `Node's own message carries the source path: ${JSON.stringify(raw)}`);
    assert.equal(tlsErrorMessage(raw), 'sslv3 alert handshake failure (SSL alert number 40)');
  });

  it('cleans what Node says when a server answers the ClientHello with garbage', async () => {
    const server = net.createServer((socket) => socket.end('not TLS at all, just text\r\n'.repeat(4)));
    const cleaned = tlsErrorMessage(await handshakeError(server, {}));
    assert.doesNotMatch(cleaned, /\n|\.c:\d|deps\/openssl|error:[0-9A-F]{8}/);
    assert.match(cleaned, /^(wrong version number|packet length too long|record layer failure)$/);
  });
});
