/**
 * Who "one client" is, for every per-client budget of the service (work
 * requests, wrong tokens, open connections): an IPv4 address, or an IPv6
 * /64. A single IPv6 host is routinely given a whole /64 (RFC 4291 §2.5.1,
 * SLAAC), and keying on the full address let it spend a fresh budget from
 * each of its 2^64 addresses.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Hextets of the network part that make a /64. */
const NETWORK_HEXTETS = 4;

/** The eight hextets of an IPv6 address (an embedded dotted quad, zone index and :: expanded). */
function hextets(address: string): number[] {
  const bare = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  const head = dotted ? bare.slice(0, -dotted[1]!.length) : bare;
  const tail = dotted ? dotted[1]!.split('.').map(Number) : [];
  const tailHextets = dotted ? [(tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!] : [];
  const [left = '', right] = head.split('::');
  const parse = (part: string) =>
    part === ''
      ? []
      : part
          .replace(/:$/, '')
          .split(':')
          .map((h) => parseInt(h, 16));
  const l = parse(left);
  const r = right === undefined ? [] : parse(right);
  const missing = 8 - l.length - r.length - tailHextets.length;
  return [...l, ...Array<number>(Math.max(0, missing)).fill(0), ...r, ...tailHextets];
}

/**
 * The budget key of a client address: IPv4 as it is (an IPv4-mapped IPv6
 * address, ::ffff:192.0.2.1, is that IPv4 client), IPv6 as its /64
 * ("2001:db8:0:1::/64"), anything else (a unix socket, an unknown peer) as
 * it is.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  if (isIPv4(address)) return address;
  if (!isIPv6(address.replace(/%.*$/, ''))) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  const network = hextets(address)
    .slice(0, NETWORK_HEXTETS)
    .map((h) => h.toString(16));
  return `${network.join(':')}::/64`;
}
