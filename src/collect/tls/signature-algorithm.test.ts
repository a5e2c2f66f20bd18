import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signatureAlgorithm } from './signature-algorithm.js';

const dir = mkdtempSync(join(tmpdir(), 'checker-smtp-sigalg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let made = 0;

/** A self-signed certificate made by the openssl CLI with `newkey` and extra `req` arguments, as DER. */
function certificate(newkey: string, ...args: string[]): Buffer {
  const key = join(dir, `key-${++made}.pem`);
  const pem = execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      newkey,
      '-nodes',
      '-keyout',
      key,
      '-subj',
      '/CN=sig.example.test',
      '-days',
      '1',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return Buffer.from(new X509Certificate(pem).raw);
}

/** What `openssl x509 -text` calls the signature algorithm, to hold our reading to. */
function opensslSays(der: Buffer): string {
  const text = execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], { input: der }).toString();
  return /Signature Algorithm: (\S+)/.exec(text)![1]!;
}

describe('signatureAlgorithm()', () => {
  const cases: [string, Buffer, string, string | null][] = [
    ['RSA with SHA-256', certificate('rsa:2048', '-sha256'), 'sha256WithRSAEncryption', 'SHA-256'],
    ['RSA with SHA-1', certificate('rsa:1024', '-sha1'), 'sha1WithRSAEncryption', 'SHA-1'],
    ['RSA with MD5', certificate('rsa:1024', '-md5'), 'md5WithRSAEncryption', 'MD5'],
    [
      'ECDSA with SHA-384',
      certificate('ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-sha384'),
      'ecdsa-with-SHA384',
      'SHA-384',
    ],
    ['ECDSA with SHA-1', certificate('ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-sha1'), 'ecdsa-with-SHA1', 'SHA-1'],
    [
      'RSASSA-PSS with SHA-512 in its parameters',
      certificate('rsa:2048', '-sha512', '-sigopt', 'rsa_padding_mode:pss'),
      'rsassaPss',
      'SHA-512',
    ],
    ['Ed25519 (no separate hash)', certificate('ed25519'), 'ED25519', null],
  ];
  for (const [what, der, name, hash] of cases) {
    it(`reads ${what} as openssl does`, () => {
      assert.deepEqual(signatureAlgorithm(der), { name, hash });
      assert.equal(opensslSays(der), name);
    });
  }

  it('takes the hash of RSASSA-PSS parameters that leave it out as SHA-1 (RFC 4055 default)', () => {
    // SEQUENCE { tbs SEQUENCE {}, SEQUENCE { OID rsassaPss, SEQUENCE {} }, BIT STRING }
    const pss = Buffer.from('3014' + '3000' + '300d' + '06092a864886f70d01010a' + '3000' + '030100', 'hex');
    assert.deepEqual(signatureAlgorithm(pss), { name: 'rsassaPss', hash: 'SHA-1' });
  });

  it('names an algorithm it does not know by its dotted OID, with no hash', () => {
    // OID 1.2.3.4.5 in place of the algorithm.
    const odd = Buffer.from('300d' + '3000' + '3006' + '06042a030405' + '030100', 'hex');
    assert.deepEqual(signatureAlgorithm(odd), { name: '1.2.3.4.5', hash: null });
  });

  it('gives null, never an exception, for every truncation of a real certificate', () => {
    const der = cases[0]![1];
    for (let n = 0; n < der.length; n++) assert.equal(signatureAlgorithm(der.subarray(0, n)), null, `first ${n} bytes`);
  });

  it('gives null for what is not DER: indefinite or oversized lengths, padded OIDs, other tags', () => {
    for (const hex of [
      '', // nothing
      '3080' + '3000' + '3003' + '060100' + '0000', // indefinite length (BER)
      '3085ffffffffff', // a 5-byte length
      '3009' + '3000' + '3005' + '0603808101', // OID arc padded with 0x80
      '3008' + '3000' + '3004' + '06022a86', // OID ending mid-arc
      '3008' + '3000' + '3104' + '06022a03', // algorithm in a SET, not a SEQUENCE
      '3006' + '3000' + '3002' + '0400', // no OID
      '0400', // not a SEQUENCE at all
    ]) {
      assert.equal(signatureAlgorithm(Buffer.from(hex, 'hex')), null, hex);
    }
  });
});
