/**
 * Which addresses a hosted checker may dial. Exposed to the public, the
 * service would otherwise let anyone make it connect into its own network
 * (SSRF) or to addresses that have no business receiving mail. A refused
 * address is reported in the observation (ProbeError `policy.refused`), never
 * silently skipped.
 */
import { BlockList, isIP } from 'node:net';

/** Non-public ranges, with the words a refusal uses. IANA special-purpose registries (RFC 6890 and successors). */
const NON_PUBLIC: ReadonlyArray<{ range: string; bits: number; family: 'ipv4' | 'ipv6'; kind: string }> = [
  { range: '0.0.0.0', bits: 8, family: 'ipv4', kind: 'an unspecified ("this network") address' },
  { range: '10.0.0.0', bits: 8, family: 'ipv4', kind: 'a private address (RFC 1918)' },
  { range: '100.64.0.0', bits: 10, family: 'ipv4', kind: 'a carrier-grade NAT address (RFC 6598)' },
  { range: '127.0.0.0', bits: 8, family: 'ipv4', kind: 'a loopback address' },
  { range: '169.254.0.0', bits: 16, family: 'ipv4', kind: 'a link-local address' },
  { range: '172.16.0.0', bits: 12, family: 'ipv4', kind: 'a private address (RFC 1918)' },
  { range: '192.0.0.0', bits: 24, family: 'ipv4', kind: 'an IETF protocol-assignment address' },
  { range: '192.0.2.0', bits: 24, family: 'ipv4', kind: 'a documentation address (RFC 5737)' },
  { range: '192.168.0.0', bits: 16, family: 'ipv4', kind: 'a private address (RFC 1918)' },
  { range: '198.18.0.0', bits: 15, family: 'ipv4', kind: 'a benchmarking address (RFC 2544)' },
  { range: '198.51.100.0', bits: 24, family: 'ipv4', kind: 'a documentation address (RFC 5737)' },
  { range: '203.0.113.0', bits: 24, family: 'ipv4', kind: 'a documentation address (RFC 5737)' },
  { range: '224.0.0.0', bits: 4, family: 'ipv4', kind: 'a multicast address' },
  { range: '240.0.0.0', bits: 4, family: 'ipv4', kind: 'a reserved address' },
  { range: '::', bits: 128, family: 'ipv6', kind: 'the unspecified address' },
  { range: '::1', bits: 128, family: 'ipv6', kind: 'a loopback address' },
  { range: '100::', bits: 64, family: 'ipv6', kind: 'a discard-only address (RFC 6666)' },
  { range: '2001:db8::', bits: 32, family: 'ipv6', kind: 'a documentation address (RFC 3849)' },
  { range: '3fff::', bits: 20, family: 'ipv6', kind: 'a documentation address (RFC 9637)' },
  { range: 'fc00::', bits: 7, family: 'ipv6', kind: 'a unique local (private) address' },
  { range: 'fe80::', bits: 10, family: 'ipv6', kind: 'a link-local address' },
  { range: 'ff00::', bits: 8, family: 'ipv6', kind: 'a multicast address' },
];

const lists = NON_PUBLIC.map((entry) => {
  const list = new BlockList();
  list.addSubnet(entry.range, entry.bits, entry.family);
  return { list, entry };
});

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged by its IPv4 address, so it cannot smuggle one in. */
function embeddedIpv4(address: string): string | null {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : null;
}

/** Why `address` is not a public unicast address, in words; null when it is public. */
export function nonPublicReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const v4 = family === 6 ? embeddedIpv4(address) : address;
  const [candidate, type] = v4 ? [v4, 'ipv4' as const] : [address, 'ipv6' as const];
  for (const { list, entry } of lists) {
    if (entry.family === type && list.check(candidate, type)) return entry.kind;
  }
  return null;
}

/** A policy the engine asks before dialling: null to go ahead, or why the address is refused. */
export type TargetPolicy = (address: string) => string | null;

/** Refuse every non-public address; the message tells the operator how to allow them. */
export const publicTargetsOnly: TargetPolicy = (address) => {
  const reason = nonPublicReason(address);
  return reason === null ? null : `not probed: ${address} is ${reason}, and this checker only probes public addresses`;
};
