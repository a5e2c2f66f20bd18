/**
 * Who "one client" is, for every per-client budget of the service (work
 * requests, wrong tokens, open connections): an IPv4 address, or an IPv6
 * /64. A single IPv6 host is routinely given a whole /64 (RFC 4291 §2.5.1,
 * SLAAC), and keying on the full address let it spend a fresh budget from
 * each of its 2^64 addresses.
 */
import ipaddr from 'ipaddr.js';

/** Hextets of the network part that make a /64. */
const NETWORK_HEXTETS = 4;

/**
 * The budget key of a client address: IPv4 as it is (an IPv4-mapped IPv6
 * address, ::ffff:192.0.2.1, is that IPv4 client), IPv6 as its /64
 * ("2001:db8:0:1::/64"), anything else (a unix socket, an unknown peer) as
 * it is. Parsing (zone index, embedded dotted quad, `::`) is ipaddr.js's.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return address;
  if (!ipaddr.IPv6.isValid(address)) return address;
  const v6 = ipaddr.IPv6.parse(address);
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const network = v6.parts.slice(0, NETWORK_HEXTETS).map((h) => h.toString(16));
  return `${network.join(':')}::/64`;
}
