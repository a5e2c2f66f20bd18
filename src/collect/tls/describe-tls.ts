/**
 * Turn a live TLS socket into the TlsInfo facts of the observation: version,
 * cipher, key exchange, the presented chain, and the chain verdict the TLS
 * stack reached against our trust store.
 */
import type tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { CertificateInfo, TlsInfo } from '../../model/observation.js';
import { signatureAlgorithm } from './signature-algorithm.js';
import type { ResumableSession } from './tls-sessions.js';
import { CERTIFICATE_MEMO_ENTRIES } from '../../model/limits.js';

/** Chains longer than this are junk or loops (issuerCertificate cycles at the root). */
const MAX_CHAIN_LENGTH = 10;

/**
 * Certificates already described, by SHA-256 fingerprint. Everything in a
 * CertificateInfo is read from the certificate's own bytes, so the same
 * fingerprint always describes the same way: a batch meeting one provider's
 * certificate on hundreds of MX addresses parses it once (parsing, the key
 * and the self-signature check were a third of a probe's CPU). Entries are
 * frozen, as they are shared between observations; the oldest go first.
 */
const described = new Map<string, CertificateInfo>();

function memoised(c: tls.DetailedPeerCertificate): CertificateInfo {
  const key = c.fingerprint256;
  if (!key) return describeCertificate(c);
  const known = described.get(key);
  if (known) return known;
  const info = deepFreeze(describeCertificate(c));
  if (described.size >= CERTIFICATE_MEMO_ENTRIES) described.delete(described.keys().next().value!);
  described.set(key, info);
  return info;
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}

function names(o: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (o && typeof o === 'object') {
    for (const [k, v] of Object.entries(o as Record<string, unknown>))
      out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function toIso(date: string): string {
  const d = new Date(date);
  return Number.isNaN(d.getTime()) ? date : d.toISOString();
}

/**
 * Issued by itself and signed with its own key: a root, or a self-signed
 * leaf. Compared by name, then checked by signature (OpenSSL's check_issued
 * would also want keyCertSign, which a self-signed leaf does not have).
 */
function selfSigned(x: X509Certificate): boolean {
  try {
    return x.subject === x.issuer && x.verify(x.publicKey);
  } catch {
    // A key Node cannot verify with: not shown to be self-signed.
    return false;
  }
}

export function describeCertificate(c: tls.DetailedPeerCertificate): CertificateInfo {
  let keyType: string | null = null;
  let keyBits: number | null = typeof c.bits === 'number' ? c.bits : null;
  let self = false;
  try {
    const x = new X509Certificate(c.raw);
    keyType = x.publicKey.asymmetricKeyType?.toUpperCase() ?? null;
    const details = x.publicKey.asymmetricKeyDetails;
    keyBits = details?.modulusLength ?? keyBits;
    if (keyType === 'EC' && details?.namedCurve) keyType = `EC ${details.namedCurve}`;
    self = selfSigned(x);
  } catch {
    // A certificate Node cannot parse is still recorded from the TLS stack's view.
  }
  const signature = c.raw ? signatureAlgorithm(c.raw) : null;
  return {
    subject: names(c.subject),
    issuer: names(c.issuer),
    subject_alt_names: c.subjectaltname ? c.subjectaltname.split(/,\s*/).filter(Boolean) : [],
    valid_from: toIso(c.valid_from),
    valid_to: toIso(c.valid_to),
    serial: c.serialNumber ?? '',
    fingerprint_sha256: c.fingerprint256 ?? '',
    key_type: keyType,
    key_bits: keyBits,
    signature_algorithm: signature?.name ?? null,
    signature_hash: signature?.hash ?? null,
    self_signed: self,
    der_base64: c.raw ? c.raw.toString('base64') : '',
  };
}

function peerChain(socket: tls.TLSSocket): CertificateInfo[] {
  const chain: CertificateInfo[] = [];
  const seen = new Set<string>();
  let cert = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
  while (cert && cert.raw && chain.length < MAX_CHAIN_LENGTH) {
    const fp = cert.fingerprint256;
    if (seen.has(fp)) break;
    seen.add(fp);
    chain.push(memoised(cert));
    cert = cert.issuerCertificate;
  }
  return chain;
}

function ephemeralKey(socket: tls.TLSSocket): TlsInfo['ephemeral'] {
  const eph = socket.getEphemeralKeyInfo();
  return eph && typeof eph === 'object' && 'type' in eph && eph.type
    ? {
        type: String(eph.type),
        name: 'name' in eph && eph.name ? String(eph.name) : null,
        bits: 'size' in eph && typeof eph.size === 'number' ? eph.size : null,
      }
    : null;
}

function cipherName(socket: tls.TLSSocket): string | null {
  const cipher = socket.getCipher();
  return cipher?.standardName ?? cipher?.name ?? null;
}

export function describeTls(socket: tls.TLSSocket, sni: string | null): TlsInfo {
  const err = socket.authorizationError as unknown;
  return {
    version: socket.getProtocol() ?? 'unknown',
    cipher: cipherName(socket) ?? 'unknown',
    ephemeral: ephemeralKey(socket),
    chain: peerChain(socket),
    chain_trusted: socket.authorized,
    chain_error: socket.authorized
      ? null
      : err instanceof Error
        ? ((err as NodeJS.ErrnoException).code ?? err.message)
        : err
          ? String(err)
          : null,
    sni,
  };
}

/**
 * A resumed session's TlsInfo: this connection's version and cipher (and key
 * exchange, which TLS 1.3 makes again); the chain, its verdict and, under
 * TLS 1.2, the key exchange are the full handshake's (`earlier`), which a
 * resumed handshake does not repeat; `resumed_from` says when that was.
 */
export function resumedTls(socket: tls.TLSSocket, earlier: ResumableSession): TlsInfo {
  return {
    ...earlier.tls,
    version: socket.getProtocol() ?? earlier.tls.version,
    cipher: cipherName(socket) ?? earlier.tls.cipher,
    ephemeral: ephemeralKey(socket) ?? earlier.tls.ephemeral,
    resumed_from: new Date(earlier.at).toISOString(),
  };
}
