/**
 * The trust store the chain verdict is reached against: Node's bundled
 * Mozilla roots, the system store (Debian's /etc/ssl/certs bundle) when
 * present, and NODE_EXTRA_CA_CERTS, which Node itself would ignore once we
 * pass an explicit `ca` list.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];

function readPemBundle(path: string): string[] {
  try {
    const text = readFileSync(path, 'utf8');
    return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  } catch {
    return [];
  }
}

let cached: string[] | null = null;

export function defaultTrustStore(): string[] {
  if (cached) return cached;
  const extra = process.env['NODE_EXTRA_CA_CERTS'];
  const system = SYSTEM_BUNDLES.map(readPemBundle).find((list) => list.length > 0) ?? [];
  cached = [...new Set([...tls.rootCertificates, ...system, ...(extra ? readPemBundle(extra) : [])])];
  return cached;
}
