/**
 * The demo world's certificates: a CA made for this run only, and a
 * certificate it signs for each healthy MX name. The demo's check trusts
 * that CA alone (its trust store), so the healthy domain's chain verifies
 * and nothing of the machine's own trust is touched. Made in-process with
 * WebCrypto (ECDSA P-256: a few milliseconds), never with an `openssl`
 * binary a fresh machine may lack.
 */
import { webcrypto } from 'node:crypto';

/** A server's key and certificate (PEM), for STARTTLS. */
export interface DemoCredentials {
  key: string;
  cert: string;
}

export interface DemoCertificates {
  /** The CA's certificate (PEM): the demo check's whole trust store. */
  ca: string;
  /** A certificate for `name` (subject CN and subjectAltName), signed by the CA. */
  leaf(name: string): Promise<DemoCredentials>;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Valid from an hour ago: a clock a little behind still takes the certificates as current. */
const NOT_BEFORE_SKEW_MS = 60 * 60 * 1000;
/** Valid for 90 days, as the certificates of most public CAs: far from the 14-day "expiring" warning. */
const VALIDITY_MS = 90 * 24 * 60 * 60 * 1000;

/** PKCS#8 PEM of a private key. */
async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${der.replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
}

/** A new CA for one demo run. */
export async function createDemoCertificates(): Promise<DemoCertificates> {
  // @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API first.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as Crypto);
  const notBefore = new Date(Date.now() - NOT_BEFORE_SKEW_MS);
  const notAfter = new Date(Date.now() + VALIDITY_MS);
  let serial = 1;
  const nextSerial = () => (serial++).toString(16).padStart(2, '0');

  const caKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: 'CN=checker-smtp demo CA (this run only)',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  return {
    ca: ca.toString('pem'),
    async leaf(name) {
      const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: nextSerial(),
        subject: `CN=${name}`,
        issuer: ca.subject,
        notBefore,
        notAfter,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ALGORITHM,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }]),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ],
      });
      return { key: await privateKeyPem(keys.privateKey), cert: cert.toString('pem') };
    },
  };
}
