/**
 * Properties of the certificate signature reader: a hostile server chooses
 * the bytes, so whatever they are it never throws, and whatever it reads
 * back is a name and a hash from its tables or a well-formed dotted OID.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { fuzz } from '../../../test/fuzz/fuzz.js';
import { leafCertificate } from '../../../test/peers/certs.js';
import { signatureAlgorithm, type SignatureAlgorithm } from './signature-algorithm.js';

const DOTTED_OID = /^[0-2](\.\d+)+$/;
const HASHES = new Set(['MD2', 'MD4', 'MD5', 'SHA-1', 'SHA-224', 'SHA-256', 'SHA-384', 'SHA-512']);

function assertWellFormed(found: SignatureAlgorithm | null): void {
  if (found === null) return;
  assert.ok(found.name.length > 0);
  // An algorithm named by its OID is one the tables do not know: no hash is claimed for it.
  if (DOTTED_OID.test(found.name)) assert.equal(found.hash, null);
  if (found.hash !== null) assert.ok(HASHES.has(found.hash) || DOTTED_OID.test(found.hash), found.hash);
}

describe('signatureAlgorithm() properties', () => {
  const real = Buffer.from(new X509Certificate(leafCertificate('fuzz.example.test').cert).raw);

  it('never throws on arbitrary bytes', (t) => {
    fuzz(
      t,
      500,
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => assertWellFormed(signatureAlgorithm(bytes))),
    );
  });

  it('never throws on a real certificate with bytes overwritten', (t) => {
    const edit = fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 6,
    });
    fuzz(
      t,
      500,
      fc.property(edit, (edits) => {
        const der = Buffer.from(real);
        for (const [at, byte] of edits) der[at] = byte;
        assertWellFormed(signatureAlgorithm(der));
      }),
    );
  });
});
