/**
 * Test certificates made with the `openssl` CLI: one CA per process and leaf
 * certificates signed by it (or self-signed), cached per process. Signing
 * goes through `openssl ca` because it is the one OpenSSL 3.0 command that
 * sets arbitrary validity dates (expired or not-yet-valid certificates).
 *
 *   const { key, cert, ca } = leafCertificate('mx.example.test');
 *   const rsa = leafCertificate('mx.example.test', { keyType: 'rsa' }); // for TLS 1.0 peers
 *   const weak = leafCertificate('mx.example.test', { keyType: 'rsa', rsaBits: 1024, digest: 'sha1' });
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM strings for a TLS server: its key and certificate, and the certificate a client must trust to verify it. */
export interface TlsCredentials {
  key: string;
  cert: string;
  ca: string;
}

export interface LeafOptions {
  /**
   * `ec` (P-256, default: fast) or `rsa` (2048 bits). TLS 1.0 peers want RSA:
   * clients from that era and their cipher suites expect an RSA key.
   */
  keyType?: 'ec' | 'rsa';
  /**
   * RSA modulus size (default 2048). 1024 makes the weak key a sender at
   * default security (OpenSSL level 2) refuses; serve it at level 0.
   */
  rsaBits?: number;
  /**
   * Hash of the issuer's signature (default sha256). `sha1` makes the weak
   * signature a sender at default security refuses; `md5` needs an RSA
   * signer (there is no ECDSA with MD5), so only with `selfSigned` and `rsa`.
   */
  digest?: 'sha256' | 'sha1' | 'md5';
  /** Self-signed instead of signed by the test CA; `ca` is then the leaf itself. */
  selfSigned?: boolean;
  /** Default: a day ago (clock skew never makes a fresh certificate "not yet valid"). */
  notBefore?: Date;
  /** Default: a year from now. In the past for an expired certificate. */
  notAfter?: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** RSA keys are this size unless a test asks for another: the smallest a sender at default security accepts. */
const DEFAULT_RSA_BITS = 2048;
/** Validity of the test CA: long enough to outlive any test run. */
const CA_VALIDITY_DAYS = 3650;

let workDir: string | undefined;
let testCaPem: { key: string; cert: string } | undefined;
const leafCache = new Map<string, TlsCredentials>();
let serial = 0;

/** The per-process test CA that signs every non-self-signed leaf. */
export function testCa(): { key: string; cert: string } {
  if (testCaPem) return testCaPem;
  const dir = directory();
  writeFileSync(join(dir, 'ca.cnf'), caConfig(dir));
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  openssl([
    'req',
    '-new',
    '-x509',
    '-config',
    'ca.cnf',
    '-extensions',
    'v3_ca',
    '-key',
    'ca.key',
    '-subj',
    '/CN=checker-smtp test CA',
    '-days',
    String(CA_VALIDITY_DAYS),
    '-sha256',
    '-out',
    'ca.crt',
  ]);
  testCaPem = { key: readFileSync(join(dir, 'ca.key'), 'utf8'), cert: readFileSync(join(dir, 'ca.crt'), 'utf8') };
  return testCaPem;
}

/**
 * A leaf certificate for `names` (DNS names or IP addresses, all put in the
 * subjectAltName; the first is also the CN). Same arguments, same certificate.
 */
export function leafCertificate(names: string | string[], options: LeafOptions = {}): TlsCredentials {
  const list = typeof names === 'string' ? [names] : names;
  const [commonName] = list;
  if (commonName === undefined) throw new TypeError('leafCertificate() needs at least one name');
  const now = Date.now();
  const keyType = options.keyType ?? 'ec';
  const rsaBits = options.rsaBits ?? DEFAULT_RSA_BITS;
  const digest = options.digest ?? 'sha256';
  const notBefore = options.notBefore ?? new Date(now - DAY_MS);
  const notAfter = options.notAfter ?? new Date(now + 365 * DAY_MS);
  // Default dates move with the clock; keying on the options keeps one certificate per request shape.
  const cacheKey = JSON.stringify([
    list,
    keyType,
    rsaBits,
    digest,
    !!options.selfSigned,
    options.notBefore,
    options.notAfter,
  ]);
  const cached = leafCache.get(cacheKey);
  if (cached) return cached;

  const caPem = options.selfSigned ? undefined : testCa();
  const dir = directory();
  const base = `leaf-${++serial}`;
  writeFileSync(join(dir, `${base}.cnf`), leafConfig(dir, list, keyType));
  if (keyType === 'rsa') {
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${rsaBits}`, '-out', `${base}.key`]);
  } else {
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${base}.key`]);
  }
  openssl([
    'req',
    '-new',
    '-config',
    `${base}.cnf`,
    '-key',
    `${base}.key`,
    '-subj',
    `/CN=${commonName}`,
    '-out',
    `${base}.csr`,
  ]);
  openssl([
    'ca',
    '-batch',
    '-notext',
    '-config',
    `${base}.cnf`,
    '-extensions',
    'v3_leaf',
    '-in',
    `${base}.csr`,
    '-startdate',
    asn1Time(notBefore),
    '-enddate',
    asn1Time(notAfter),
    '-md',
    digest,
    '-out',
    `${base}.crt`,
    ...(options.selfSigned ? ['-selfsign', '-keyfile', `${base}.key`] : ['-cert', 'ca.crt', '-keyfile', 'ca.key']),
  ]);
  const cert = readFileSync(join(dir, `${base}.crt`), 'utf8');
  const credentials = { key: readFileSync(join(dir, `${base}.key`), 'utf8'), cert, ca: caPem ? caPem.cert : cert };
  leafCache.set(cacheKey, credentials);
  return credentials;
}

/** The temporary directory for this process, removed when it exits. */
function directory(): string {
  if (workDir) return workDir;
  const dir = mkdtempSync(join(tmpdir(), 'checker-smtp-certs-'));
  mkdirSync(join(dir, 'issued'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  workDir = dir;
  return dir;
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: directory(), stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim()}`, { cause: err });
  }
}

/** `openssl ca` dates: UTCTime, YYMMDDHHMMSSZ (fine until 2049). */
function asn1Time(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
}

/** Settings shared by the CA and leaf configs: our own files, no dependence on the system openssl.cnf. */
function commonConfig(dir: string): string {
  return `
[ca]
default_ca = test_ca

[test_ca]
database = ${dir}/index.txt
new_certs_dir = ${dir}/issued
serial = ${dir}/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[policy_any]
commonName = supplied

[req]
distinguished_name = req_dn
prompt = no

[req_dn]
`;
}

function caConfig(dir: string): string {
  return `${commonConfig(dir)}
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;
}

function leafConfig(dir: string, names: string[], keyType: 'ec' | 'rsa'): string {
  const altNames = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  // RSA key exchange (TLS 1.0 suites) encrypts to the key; ECDHE only signs with it.
  const keyUsage = keyType === 'rsa' ? 'digitalSignature,keyEncipherment' : 'digitalSignature';
  return `${commonConfig(dir)}
[v3_leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,${keyUsage}
extendedKeyUsage = serverAuth
subjectAltName = ${altNames}
subjectKeyIdentifier = hash
`;
}
