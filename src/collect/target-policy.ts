/**
 * Which addresses a hosted checker may dial. Exposed to the public, the
 * service would otherwise let anyone make it connect into its own network
 * (SSRF) or to addresses that have no business receiving mail. A refused
 * address is reported in the observation (ProbeError `policy.refused`), never
 * silently skipped.
 *
 * IPv6 addresses that carry an IPv4 address inside them (IPv4-mapped, SIIT,
 * NAT64, 6to4, Teredo) are judged by that IPv4 address: where a translator or
 * relay exists on the path, that is where the connection ends up, and
 * `64:ff9b::7f00:1` is 127.0.0.1 to a host behind a NAT64 gateway. Ranges
 * whose embedded address cannot be told, or that nothing routes, are refused
 * whole. Parsing and range matching are ipaddr.js's (the library behind
 * fastify's proxy-addr); the table of what is public is ours.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

interface Range {
  cidr: Cidr;
  kind: string;
}

const range = (cidr: string, kind: string): Range => ({ cidr: ipaddr.parseCIDR(cidr), kind });

/** Non-public IPv4 ranges, with the words a refusal uses. IANA special-purpose registry (RFC 6890 and successors). */
const IPV4_NON_PUBLIC: readonly Range[] = [
  range('0.0.0.0/8', 'an unspecified ("this network") address'),
  range('10.0.0.0/8', 'a private address (RFC 1918)'),
  range('100.64.0.0/10', 'a carrier-grade NAT address (RFC 6598)'),
  range('127.0.0.0/8', 'a loopback address'),
  range('169.254.0.0/16', 'a link-local address'),
  range('172.16.0.0/12', 'a private address (RFC 1918)'),
  range('192.0.0.0/24', 'an IETF protocol-assignment address'),
  range('192.0.2.0/24', 'a documentation address (RFC 5737)'),
  range('192.88.99.0/24', 'a 6to4 relay anycast address (deprecated, RFC 7526)'),
  range('192.168.0.0/16', 'a private address (RFC 1918)'),
  range('198.18.0.0/15', 'a benchmarking address (RFC 2544)'),
  range('198.51.100.0/24', 'a documentation address (RFC 5737)'),
  range('203.0.113.0/24', 'a documentation address (RFC 5737)'),
  range('224.0.0.0/4', 'a multicast address'),
  range('240.0.0.0/4', 'a reserved address'),
];

/**
 * Non-public IPv6 ranges checked after the embedding ranges below. Anything
 * outside 2000::/3 that is not named here is still refused: IANA allocates
 * global unicast from 2000::/3 only.
 */
const IPV6_NON_PUBLIC: readonly Range[] = [
  range('::/128', 'the unspecified address'),
  range('::1/128', 'a loopback address'),
  range('::/96', 'an IPv4-compatible address (deprecated, RFC 4291), which nothing routes'),
  range('100::/64', 'a discard-only address (RFC 6666)'),
  range('2001:2::/48', 'a benchmarking address (RFC 5180)'),
  range('2001:10::/28', 'an ORCHID address (deprecated, RFC 4843), which nothing routes'),
  range('2001:20::/28', 'an ORCHIDv2 address (RFC 7343), which nothing routes'),
  range('2001:db8::/32', 'a documentation address (RFC 3849)'),
  range('3fff::/20', 'a documentation address (RFC 9637)'),
  range('5f00::/16', 'a segment-routing address (RFC 9602)'),
  range('fc00::/7', 'a unique local (private) address'),
  range('fe80::/10', 'a link-local address'),
  range('fec0::/10', 'a site-local address (deprecated, RFC 3879)'),
  range('ff00::/8', 'a multicast address'),
];
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

/** An IPv4 address carried inside an IPv6 one, and how. */
export interface EmbeddedIpv4 {
  ipv4: string;
  /** "a NAT64 address (RFC 6052)", for messages. */
  via: string;
}

type Embedding =
  { cidr: Cidr; via: string; extract: (bytes: number[]) => string[] } | { cidr: Cidr; via: string; refuse: string };

const v4At = (bytes: number[], at: number) => bytes.slice(at, at + 4).join('.');
const lastV4 = (bytes: number[]) => [v4At(bytes, 12)];

/**
 * IPv6 ranges that embed an IPv4 address, each with where it sits. Checked
 * before the IPv6 table (2001::/32 and 2002::/16 lie inside 2000::/3, the
 * NAT64 prefixes outside it).
 */
const EMBEDDINGS: readonly Embedding[] = [
  { cidr: ipaddr.parseCIDR('::ffff:0:0/96'), via: 'an IPv4-mapped address', extract: lastV4 },
  { cidr: ipaddr.parseCIDR('::ffff:0:0:0/96'), via: 'an IPv4-translated (SIIT, RFC 7915) address', extract: lastV4 },
  { cidr: ipaddr.parseCIDR('64:ff9b::/96'), via: 'a NAT64 address (RFC 6052)', extract: lastV4 },
  {
    cidr: ipaddr.parseCIDR('64:ff9b:1::/48'),
    via: 'a local-use NAT64 address (RFC 8215)',
    // The operator picks the prefix length (/48 to /96), and with it where the IPv4 address sits.
    refuse: 'a local-use NAT64 address (RFC 8215), whose embedded IPv4 address cannot be told',
  },
  // 2002:AABB:CCDD::/48 is the 6to4 site of A.B.C.D.
  { cidr: ipaddr.parseCIDR('2002::/16'), via: 'a 6to4 address (RFC 3056)', extract: (b) => [v4At(b, 2)] },
  {
    // RFC 4380 §4: the Teredo server's IPv4 in bits 32-63, the client's public IPv4 inverted in the last 32.
    cidr: ipaddr.parseCIDR('2001::/32'),
    via: 'a Teredo address (RFC 4380)',
    extract: (b) => [
      b
        .slice(12, 16)
        .map((x) => x ^ 0xff)
        .join('.'),
      v4At(b, 4),
    ],
  },
];

/**
 * `address` parsed as IPv6, its zone dropped. A dotted-quad tail is rewritten
 * first by the WHATWG URL parser (`::127.0.0.1` → `::7f00:1`): ipaddr.js reads
 * any such tail as IPv4-mapped, which would make an IPv4-compatible address
 * look like a mapped one.
 */
function parseIpv6(address: string): ipaddr.IPv6 {
  const bare = address.replace(/%.*$/, '');
  const canonical = /\d+\.\d+\.\d+\.\d+$/.test(bare) ? new URL(`http://[${bare}]/`).hostname.slice(1, -1) : bare;
  return ipaddr.IPv6.parse(canonical);
}

function ipv4Reason(address: string): string | null {
  const parsed = ipaddr.IPv4.parse(address);
  return IPV4_NON_PUBLIC.find((r) => parsed.match(r.cidr))?.kind ?? null;
}

/**
 * The IPv4 addresses `address` carries inside it (an IPv6 address in an
 * embedding range), with how; null when it carries none or is not IPv6.
 */
export function embeddedIpv4(address: string): EmbeddedIpv4[] | null {
  if (isIP(address) !== 6) return null;
  const parsed = parseIpv6(address);
  for (const e of EMBEDDINGS) {
    if (!parsed.match(e.cidr) || 'refuse' in e) continue;
    return e.extract(parsed.toByteArray()).map((ipv4) => ({ ipv4, via: e.via }));
  }
  return null;
}

/** The IPv4 address of an IPv4-mapped IPv6 address ("::ffff:192.0.2.1" → "192.0.2.1"); null otherwise. */
export function mappedIpv4(address: string): string | null {
  if (isIP(address) !== 6) return null;
  const parsed = parseIpv6(address);
  return parsed.isIPv4MappedAddress() ? parsed.toIPv4Address().toString() : null;
}

function ipv6Reason(address: string): string | null {
  const parsed = parseIpv6(address);
  for (const e of EMBEDDINGS) {
    if (!parsed.match(e.cidr)) continue;
    if ('refuse' in e) return e.refuse;
    for (const ipv4 of e.extract(parsed.toByteArray())) {
      const kind = ipv4Reason(ipv4);
      if (kind !== null) return `${e.via} of ${ipv4}, ${kind}`;
    }
    return null;
  }
  const named = IPV6_NON_PUBLIC.find((r) => parsed.match(r.cidr));
  if (named) return named.kind;
  if (!parsed.match(GLOBAL_UNICAST)) return 'a reserved address (outside the global unicast range 2000::/3)';
  return null;
}

/** Why `address` is not a public unicast address, in words; null when it is public. */
export function nonPublicReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  return family === 4 ? ipv4Reason(address) : ipv6Reason(address);
}

/** A policy the engine asks before dialling: null to go ahead, or why the address is refused. */
export type TargetPolicy = (address: string) => string | null;

/** Refuse every non-public address; the message tells the operator how to allow them. */
export const publicTargetsOnly: TargetPolicy = (address) => {
  const reason = nonPublicReason(address);
  return reason === null ? null : `not probed: ${address} is ${reason}, and this checker only probes public addresses`;
};
