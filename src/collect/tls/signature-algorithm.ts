/**
 * The signature algorithm of an X.509 certificate, read from its DER: Node's
 * X509Certificate does not expose it (Node 20), and a sender at default
 * security refuses MD5 and SHA-1 signatures, so the report must know it.
 *
 * Only the outer structure is read (RFC 5280 §4.1):
 *
 *   Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 *   AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
 *
 * plus, for RSASSA-PSS, the hash inside its parameters (RFC 4055 §3.1). A
 * reader of these few bytes is smaller and easier to trust with a hostile
 * server's certificate than a general ASN.1 library: it never throws, reads
 * nothing past the buffer and gives up (null) on anything that is not DER.
 */

export interface SignatureAlgorithm {
  /** OpenSSL's long name ("sha256WithRSAEncryption", "ecdsa-with-SHA384", "rsassaPss", "ED25519"); the dotted OID when unknown. */
  name: string;
  /** "MD5", "SHA-1", "SHA-256"…; null when the algorithm has no separate hash (Ed25519) or is unknown. */
  hash: string | null;
}

const SEQUENCE = 0x30;
const OBJECT_IDENTIFIER = 0x06;
/** `[0]` constructed, context-specific: RSASSA-PSS-params' hashAlgorithm. */
const CONTEXT_0 = 0xa0;
/** Length fields longer than this many bytes describe more than 4 GiB: not a certificate. */
const MAX_LENGTH_BYTES = 4;
/** OIDs longer than this are not signature algorithms (the longest we know is 9 bytes). */
const MAX_OID_BYTES = 32;

/** Signature algorithms by OID: OpenSSL's name and the hash each signs with. */
const ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', hash: 'MD2' },
  '1.2.840.113549.1.1.3': { name: 'md4WithRSAEncryption', hash: 'MD4' },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', hash: 'MD5' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', hash: 'SHA-1' },
  '1.3.14.3.2.29': { name: 'sha1WithRSA', hash: 'SHA-1' },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', hash: 'SHA-224' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'SHA-256' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'SHA-384' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'SHA-512' },
  '1.2.840.10040.4.3': { name: 'dsaWithSHA1', hash: 'SHA-1' },
  '2.16.840.1.101.3.4.3.1': { name: 'dsa_with_SHA224', hash: 'SHA-224' },
  '2.16.840.1.101.3.4.3.2': { name: 'dsa_with_SHA256', hash: 'SHA-256' },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', hash: 'SHA-1' },
  '1.2.840.10045.4.3.1': { name: 'ecdsa-with-SHA224', hash: 'SHA-224' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'SHA-256' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'SHA-384' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'SHA-512' },
  '1.3.101.112': { name: 'ED25519', hash: null },
  '1.3.101.113': { name: 'ED448', hash: null },
};

const RSASSA_PSS = '1.2.840.113549.1.1.10';

/** Hash algorithms by OID, for RSASSA-PSS parameters. */
const HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.5': 'MD5',
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};
/** RFC 4055 §3.1: hashAlgorithm DEFAULT sha1. */
const PSS_DEFAULT_HASH = 'SHA-1';

interface Tlv {
  tag: number;
  /** First content byte. */
  start: number;
  /** One past the last content byte. */
  end: number;
}

/** The DER element at `offset`, inside `[offset, limit)`; null when it is not one. */
function readTlv(der: Uint8Array, offset: number, limit: number): Tlv | null {
  if (offset + 2 > limit) return null;
  const tag = der[offset]!;
  // High tag numbers (0x1f) never occur where we read.
  if ((tag & 0x1f) === 0x1f) return null;
  const first = der[offset + 1]!;
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    // 0x80 is BER's indefinite length: not DER.
    if (count === 0 || count > MAX_LENGTH_BYTES || start + count > limit) return null;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  const end = start + length;
  return end > limit ? null : { tag, start, end };
}

/** Dotted form of the OID whose content is `der[start, end)`; null when it is not a well-formed OID. */
function readOid(der: Uint8Array, start: number, end: number): string | null {
  if (end <= start || end - start > MAX_OID_BYTES) return null;
  const arcs: number[] = [];
  let value = 0;
  for (let i = start; i < end; i++) {
    const byte = der[i]!;
    // A leading 0x80 pads an arc: not DER.
    if (value === 0 && byte === 0x80) return null;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) return null;
    if (byte & 0x80) continue;
    if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
    else arcs.push(value);
    value = 0;
  }
  // The last byte continued an arc that never ended.
  return der[end - 1]! & 0x80 ? null : arcs.join('.');
}

/** The OID of the AlgorithmIdentifier `alg`, and where its parameters are. */
function algorithmOf(der: Uint8Array, alg: Tlv): { oid: string; params: Tlv | null } | null {
  if (alg.tag !== SEQUENCE) return null;
  const oid = readTlv(der, alg.start, alg.end);
  if (!oid || oid.tag !== OBJECT_IDENTIFIER) return null;
  const dotted = readOid(der, oid.start, oid.end);
  if (dotted === null) return null;
  return { oid: dotted, params: oid.end < alg.end ? readTlv(der, oid.end, alg.end) : null };
}

/** The hash RSASSA-PSS-params name (`[0] hashAlgorithm`, SHA-1 when absent); null when unreadable. */
function pssHash(der: Uint8Array, params: Tlv | null): string | null {
  if (!params || params.tag !== SEQUENCE) return null;
  const first = params.end > params.start ? readTlv(der, params.start, params.end) : null;
  if (!first || first.tag !== CONTEXT_0) return PSS_DEFAULT_HASH;
  const inner = readTlv(der, first.start, first.end);
  const hash = inner ? algorithmOf(der, inner) : null;
  return hash ? (HASHES[hash.oid] ?? hash.oid) : null;
}

/** The signature algorithm of the DER certificate `der`; null when `der` is not a certificate this reader can follow. */
export function signatureAlgorithm(der: Uint8Array): SignatureAlgorithm | null {
  const cert = readTlv(der, 0, der.length);
  if (!cert || cert.tag !== SEQUENCE) return null;
  const tbs = readTlv(der, cert.start, cert.end);
  if (!tbs || tbs.tag !== SEQUENCE) return null;
  const alg = readTlv(der, tbs.end, cert.end);
  const found = alg ? algorithmOf(der, alg) : null;
  if (!found) return null;
  if (found.oid === RSASSA_PSS) return { name: 'rsassaPss', hash: pssHash(der, found.params) };
  return ALGORITHMS[found.oid] ?? { name: found.oid, hash: null };
}
