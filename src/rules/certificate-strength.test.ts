import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tlsInfo } from '../../test/fixtures/observations.js';
import type { CertificateInfo } from '../model/observation.js';
import {
  chainRole,
  isWeakKey,
  isWeakSignature,
  keyDescription,
  weakKeys,
  weakSignatures,
} from './certificate-strength.js';

/** A certificate of the healthy fixture with some facts changed. */
function cert(over: Partial<CertificateInfo> = {}): CertificateInfo {
  return { ...tlsInfo().chain[0]!, ...over };
}

const root = (over: Partial<CertificateInfo> = {}) =>
  cert({ subject: { CN: 'Example Root' }, issuer: { CN: 'Example Root' }, self_signed: true, ...over });

describe('certificate strength at OpenSSL security level 2', () => {
  it('refuses RSA and DSA keys below 2048 bits and EC keys below 224, judging nothing it cannot size', () => {
    const cases: [string | null, number | null, boolean][] = [
      ['RSA', 2048, false],
      ['RSA', 1024, true],
      ['RSA', 2047, true],
      ['RSA-PSS', 1024, true],
      ['DSA', 1024, true],
      ['DSA', 3072, false],
      ['EC prime256v1', 256, false],
      ['EC secp224r1', 224, false],
      ['EC prime192v1', 192, true],
      ['ED25519', 253, false],
      ['ED448', null, false],
      ['RSA', null, false],
      [null, 512, false],
    ];
    for (const [keyType, bits, weak] of cases) {
      assert.equal(isWeakKey(cert({ key_type: keyType, key_bits: bits })), weak, `${keyType} ${bits}`);
    }
  });

  it('refuses MD5 and SHA-1 signatures (and older), not SHA-2 nor hashless ones', () => {
    const cases: [string | null, boolean][] = [
      ['MD2', true],
      ['MD4', true],
      ['MD5', true],
      ['SHA-1', true],
      ['SHA-224', false],
      ['SHA-256', false],
      ['SHA-512', false],
      [null, false],
    ];
    for (const [hash, weak] of cases) {
      assert.equal(isWeakSignature([cert({ signature_hash: hash })], 0), weak, String(hash));
    }
  });

  it('does not judge the signature of a self-signed certificate at the top of the chain: it vouches for nothing', () => {
    const sha1Root = root({ signature_algorithm: 'sha1WithRSAEncryption', signature_hash: 'SHA-1' });
    assert.equal(isWeakSignature([cert(), sha1Root], 1), false);
    // A self-signed leaf alone is the top of its chain too.
    assert.equal(isWeakSignature([cert({ self_signed: true, signature_hash: 'SHA-1' })], 0), false);
    // Self-signed but not at the top (a cross-signed or misordered chain): judged.
    assert.equal(isWeakSignature([cert(), root({ signature_hash: 'SHA-1' }), cert()], 1), true);
  });

  it('names each weak certificate by its role and subject, and says what is weak', () => {
    const chain = [
      cert({ key_bits: 1024, signature_algorithm: 'sha1WithRSAEncryption', signature_hash: 'SHA-1' }),
      cert({ subject: { O: 'Old Intermediate' }, signature_algorithm: 'md5WithRSAEncryption', signature_hash: 'MD5' }),
      root({ key_bits: 1024, signature_hash: 'SHA-1' }),
    ];
    assert.deepEqual(
      [0, 1, 2].map((i) => chainRole(chain, i)),
      ['leaf', 'intermediate', 'root'],
    );
    assert.deepEqual(weakKeys(chain), [
      { index: 0, role: 'leaf', name: 'CN=mx1.example.com', weakness: 'RSA 1024 bits' },
      { index: 2, role: 'root', name: 'CN=Example Root', weakness: 'RSA 1024 bits' },
    ]);
    assert.deepEqual(weakSignatures(chain), [
      { index: 0, role: 'leaf', name: 'CN=mx1.example.com', weakness: 'signed with sha1WithRSAEncryption' },
      { index: 1, role: 'intermediate', name: 'O=Old Intermediate', weakness: 'signed with md5WithRSAEncryption' },
    ]);
    assert.deepEqual(weakKeys([cert()]), []);
    assert.deepEqual(weakSignatures([cert()]), []);
  });

  it('names a hostile subject as plain words: controls folded, length cut', () => {
    const hostile = cert({ key_bits: 1024, subject: { CN: `evil\u001b[2J\u0007${'x'.repeat(200)}` } });
    const [weak] = weakKeys([hostile]);
    assert.doesNotMatch(weak!.name, /[\u0000-\u001f]/);
    assert.ok(weak!.name.startsWith('CN=evil [2J '), weak!.name);
    assert.ok(weak!.name.length <= 80);
  });

  it('describes a key by type and size', () => {
    assert.equal(keyDescription(cert({ key_type: 'EC prime256v1', key_bits: 256 })), 'EC prime256v1 256 bits');
    assert.equal(keyDescription(cert({ key_type: 'ED25519', key_bits: null })), 'ED25519');
    assert.equal(keyDescription(cert({ key_type: null })), null);
  });
});
