/**
 * Records and faults served by the in-process DNS server (demo and tests), and helpers to write
 * them. Field names follow node:dns results (`address`, `priority`,
 * `exchange`) so expectations read like what the resolver returns.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** TTL when a record gives none: 0 so that resolvers with a cache (c-ares has one) see records replaced at run time. */
export const DEFAULT_TTL = 0;

export type DnsRecord =
  | { name: string; type: 'A' | 'AAAA'; address: string; ttl?: number }
  /** `exchange: '.'` with priority 0 is a null MX (RFC 7505). */
  | { name: string; type: 'MX'; priority: number; exchange: string; ttl?: number }
  | { name: string; type: 'CNAME' | 'PTR'; target: string; ttl?: number }
  | { name: string; type: 'TXT'; text: string | string[]; ttl?: number };

export type DnsRecordType = DnsRecord['type'];

/**
 * How queries for a name fail: `servfail` and `refused` answer with that
 * rcode, `timeout` never answers (the client times out), `nxdomain` denies
 * the name whatever is published (a filtering resolver). Limited to one
 * query type when `type` is set, e.g. AAAA timing out while A works. The
 * name `.` is the root zone.
 */
export type DnsFaultKind = 'servfail' | 'refused' | 'timeout' | 'nxdomain';
export interface DnsFault {
  name: string;
  fault: DnsFaultKind;
  type?: DnsRecordType | 'SOA';
}

export type DnsEntry = DnsRecord | DnsFault;

export function isFault(entry: DnsEntry): entry is DnsFault {
  return 'fault' in entry;
}

/** DNS names compare case-insensitively; a trailing dot (absolute name) changes nothing here. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.+$/, '');
}

/** The PTR owner name of an address: `2.0.0.127.in-addr.arpa`, `1.0.0...0.ip6.arpa`. */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (isIPv6(ip)) return `${ipv6Hex(ip).split('').reverse().join('.')}.ip6.arpa`;
  throw new TypeError(`Not an IP address: "${ip}"`);
}

/** The 32 hex digits of an IPv6 address, expanding `::` and an embedded IPv4 tail. */
function ipv6Hex(ip: string): string {
  let text = ip.replace(/%.*$/, '');
  const v4Tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4Tail) {
    const [b0, b1, b2, b3] = v4Tail.slice(1).map(Number) as [number, number, number, number];
    const hextets = `${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
    text = text.slice(0, -v4Tail[0].length) + hextets;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups]
    .map((group) => group.padStart(4, '0'))
    .join('')
    .toLowerCase();
}

/** One MX host of a mail domain, for {@link mailDomainRecords}. */
export interface MailHost {
  /** The MX target, e.g. `mx1.example.test`. */
  name: string;
  /** Its A/AAAA addresses, e.g. `['127.0.0.2', '::1']`. */
  addresses: string[];
  /** MX preference; 10 when omitted. */
  priority?: number;
  /**
   * PTR for each address: `true` (default) points back to `name` so FCrDNS
   * holds, a string points elsewhere, `false` publishes none.
   */
  ptr?: boolean | string;
}

/**
 * The usual records of a mail domain: MX per host, A/AAAA per address and
 * PTRs. A test changes one thing from there (a CNAME target, a missing PTR).
 */
export function mailDomainRecords(domain: string, hosts: MailHost[]): DnsRecord[] {
  const records: DnsRecord[] = [];
  for (const host of hosts) {
    records.push({ name: domain, type: 'MX', priority: host.priority ?? 10, exchange: host.name });
    for (const address of host.addresses) {
      records.push({ name: host.name, type: isIPv6(address) ? 'AAAA' : 'A', address });
      const ptr = host.ptr ?? true;
      if (ptr !== false) {
        records.push({ name: reverseName(address), type: 'PTR', target: ptr === true ? host.name : ptr });
      }
    }
  }
  return records;
}
