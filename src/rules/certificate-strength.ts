/**
 * What a verifying sender at default security refuses in a certificate
 * chain. Our own handshake runs at OpenSSL security level 0 so that old
 * servers still negotiate, and the chain verdict it records (chain_trusted)
 * is reached there too; Debian's OpenSSL defaults to level 2 (112 bits of
 * security), where verification fails with "EE/CA certificate key too weak"
 * or "CA signature digest algorithm too weak". Judged from the key and
 * signature facts collection recorded for each certificate of the chain.
 */
import type { CertificateInfo } from '../model/observation.js';
import { QUOTE_MAX_CHARS, cut, foldUnsafe } from '../model/text.js';

/** RSA and DSA keys below this many bits fail OpenSSL security level 2 (112 bits of security, NIST SP 800-57). */
export const MIN_RSA_BITS = 2048;
/** EC keys below this many bits fail OpenSSL security level 2 (an n-bit curve gives n/2 bits of security). */
export const MIN_EC_BITS = 224;
/** Signature hashes OpenSSL 3 refuses from security level 1 up: collisions can be made (MD5) or bought (SHA-1, SHAttered). */
const WEAK_HASHES: ReadonlySet<string> = new Set(['MD2', 'MD4', 'MD5', 'SHA-1']);

/** Key families whose size is the modulus (or the group) and the floor each must reach. */
function keyFloor(keyType: string): number | null {
  const family = keyType.toUpperCase().split(/\s/)[0]!;
  if (family === 'RSA' || family === 'RSA-PSS' || family === 'DSA') return MIN_RSA_BITS;
  if (family === 'EC') return MIN_EC_BITS;
  // Ed25519 and Ed448 have fixed, strong sizes; anything else we do not judge.
  return null;
}

export type ChainRole = 'leaf' | 'intermediate' | 'root';

export interface WeakCertificate {
  /** Position in the chain as presented, leaf first. */
  index: number;
  role: ChainRole;
  /** "CN=mx1.example.com", or the whole DN when there is no CN. */
  name: string;
  /** "RSA 1024 bits", "signed with sha1WithRSAEncryption": what is weak about it. */
  weakness: string;
}

/** The leaf, then intermediates, and a self-signed certificate at the top is the root. */
export function chainRole(chain: readonly CertificateInfo[], index: number): ChainRole {
  if (index === 0) return 'leaf';
  return index === chain.length - 1 && chain[index]!.self_signed ? 'root' : 'intermediate';
}

/** The subject as words for a message: the server chose it, so controls are folded and its length cut. */
function nameOf(cert: CertificateInfo): string {
  const cn = cert.subject['CN'];
  const name = cn
    ? `CN=${cn}`
    : Object.entries(cert.subject)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'no subject';
  return cut(foldUnsafe(name), QUOTE_MAX_CHARS);
}

/** "RSA 2048 bits", "EC prime256v1 256 bits"; null when the key type is unknown. */
export function keyDescription(cert: CertificateInfo): string | null {
  if (!cert.key_type) return null;
  return cert.key_bits !== null ? `${cert.key_type} ${cert.key_bits} bits` : cert.key_type;
}

/** Whether `cert`'s key is below what security level 2 accepts (unknown sizes are not judged). */
export function isWeakKey(cert: CertificateInfo): boolean {
  const floor = cert.key_type ? keyFloor(cert.key_type) : null;
  return floor !== null && cert.key_bits !== null && cert.key_bits < floor;
}

/**
 * Whether the signature on `chain[index]` uses a hash security level 1 and
 * up refuse. A self-signed certificate at the top of the chain is exempt:
 * its own signature vouches for nothing (a trust anchor is trusted because
 * it is in the store, and OpenSSL does not check its signature).
 */
export function isWeakSignature(chain: readonly CertificateInfo[], index: number): boolean {
  const cert = chain[index]!;
  if (cert.self_signed && index === chain.length - 1) return false;
  return cert.signature_hash !== null && WEAK_HASHES.has(cert.signature_hash);
}

/** The certificates of `chain` whose key a sender at default security refuses. */
export function weakKeys(chain: readonly CertificateInfo[]): WeakCertificate[] {
  return chain.flatMap((cert, index) =>
    isWeakKey(cert)
      ? [{ index, role: chainRole(chain, index), name: nameOf(cert), weakness: keyDescription(cert)! }]
      : [],
  );
}

/** The certificates of `chain` whose signature a sender at default security refuses. */
export function weakSignatures(chain: readonly CertificateInfo[]): WeakCertificate[] {
  return chain.flatMap((cert, index) =>
    isWeakSignature(chain, index)
      ? [
          {
            index,
            role: chainRole(chain, index),
            name: nameOf(cert),
            weakness: `signed with ${cert.signature_algorithm ?? cert.signature_hash}`,
          },
        ]
      : [],
  );
}
