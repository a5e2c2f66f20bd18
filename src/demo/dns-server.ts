/**
 * An in-process DNS server answering real DNS packets over UDP and TCP on
 * one loopback port (the demo world's resolver, and the tests'), presenting its records the way a recursive resolver
 * would: CNAME chains followed, NODATA vs NXDOMAIN, truncation and TCP
 * retry, plus per-name faults (SERVFAIL, REFUSED, NXDOMAIN, no answer at
 * all) and a mode that fails every question (a broken or filtering
 * resolver). The root zone and every top-level domain with names below it
 * answer SOA, as they do through a working resolver.
 *
 *   const dns = await startDnsServer(mailDomainRecords('example.test', [...]));
 *   const resolver = new Resolver({ timeout: 500, tries: 1 });
 *   resolver.setServers([dns.address]);
 *   ...
 *   await dns.close();
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, RecordType } from 'dns-packet';
import { closeServer, isAddressInUse, listen } from './listen.js';
import {
  type DnsEntry,
  type DnsFault,
  type DnsFaultKind,
  type DnsRecord,
  DEFAULT_TTL,
  isFault,
  normalizeName,
} from './dns-records.js';

/** RFC 1035 §4.2.1: a UDP answer to a query without EDNS fits in 512 bytes, or is truncated. */
const CLASSIC_UDP_BYTES = 512;
/** Ceiling on the EDNS size we honour, whatever the client offers (the DNS flag day 2020 value). */
const EDNS_UDP_BYTES = 1232;
/** CNAME hops followed within one answer; past this (or on a loop) the answer is SERVFAIL, as resolvers do. */
const MAX_CNAME_CHAIN = 8;
/** Attempts at binding UDP and TCP on one port (the UDP port may be taken for TCP by another process). */
const BIND_ATTEMPTS = 10;

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type RcodeName = keyof typeof RCODE;

export type DnsTransport = 'udp' | 'tcp';

export interface DnsQueryLogEntry {
  /** The name as the client asked it (case kept). */
  name: string;
  type: string;
  transport: DnsTransport;
  /** The answer's rcode, `TRUNCATED` when a UDP answer was cut, `DROPPED` for a timeout fault. */
  outcome: RcodeName | 'TRUNCATED' | 'DROPPED';
  at: number;
}

export interface DnsServerOptions {
  /** Loopback address to listen on, `127.0.0.1` by default (`::1` works too). */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Largest UDP answer sent, whatever the EDNS size; lower it to force TCP retries. */
  maxUdpBytes?: number;
}

export interface DnsServer {
  readonly host: string;
  readonly port: number;
  /** `127.0.0.1:PORT` or `[::1]:PORT`, for `Resolver.setServers()` and the checker's resolver setting. */
  readonly address: string;
  /** Every query received, in order. */
  readonly queries: DnsQueryLogEntry[];
  /** Adds records and faults next to the existing ones. */
  add(...entries: DnsEntry[]): void;
  /** Replaces everything at the names the entries use, then adds them. */
  set(...entries: DnsEntry[]): void;
  /** Removes every record and fault at these names (they become NXDOMAIN). */
  remove(...names: string[]): void;
  /**
   * Fails every question, whatever the name, the way a broken or filtering
   * resolver does (`nxdomain`: a resolver that denies everything, the root
   * included); null answers normally again.
   */
  failAll(fault: DnsFaultKind | null): void;
  close(): Promise<void>;
}

export async function startDnsServer(entries: DnsEntry[] = [], options: DnsServerOptions = {}): Promise<DnsServer> {
  const host = options.host ?? '127.0.0.1';
  const zone = new Zone();
  zone.add(entries);
  const queries: DnsQueryLogEntry[] = [];
  const maxUdpBytes = options.maxUdpBytes ?? EDNS_UDP_BYTES;

  const answer = (query: Buffer, transport: DnsTransport): Buffer | undefined => {
    const result = respond(zone, query, transport, maxUdpBytes);
    if (result.question) {
      queries.push({ ...result.question, transport, outcome: result.outcome, at: Date.now() });
    }
    return result.response;
  };

  const tcpSockets = new Set<net.Socket>();
  const { udp, tcp, port } = await bindBoth(host, options.port ?? 0, (socket) => {
    tcpSockets.add(socket);
    socket.on('close', () => tcpSockets.delete(socket));
    serveTcp(socket, (query) => answer(query, 'tcp'));
  });
  // A send to a client that went away reports an error; it must not crash the test process.
  udp.on('error', () => undefined);
  udp.on('message', (query, peer) => {
    const response = answer(query, 'udp');
    if (response) udp.send(response, peer.port, peer.address);
  });

  return {
    host,
    port,
    address: net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
    queries,
    add: (...more) => zone.add(more),
    set: (...more) => {
      zone.remove(more.map((entry) => entry.name));
      zone.add(more);
    },
    remove: (...names) => zone.remove(names),
    failAll: (fault) => (zone.failEverything = fault),
    close: async () => {
      for (const socket of tcpSockets) socket.destroy();
      await Promise.all([closeServer(tcp), new Promise<void>((resolve) => udp.close(() => resolve()))]);
    },
  };
}

/** Binds UDP first (port 0 picks one), then TCP on the same port; retries on a clash. */
async function bindBoth(
  host: string,
  port: number,
  onTcpConnection: (socket: net.Socket) => void,
): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
    const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const boundPort = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve(udp.address().port);
      });
    });
    const tcp = net.createServer(onTcpConnection);
    try {
      await listen(tcp, host, boundPort);
      return { udp, tcp, port: boundPort };
    } catch (err) {
      udp.close();
      if (!isAddressInUse(err) || port !== 0) throw err;
      lastError = err;
    }
  }
  throw new Error(`No port free for both UDP and TCP on ${host}`, { cause: lastError });
}

/** DNS over TCP (RFC 1035 §4.2.2): each message behind a 2-byte length; reads may split or join messages. */
function serveTcp(socket: net.Socket, answer: (query: Buffer) => Buffer | undefined): void {
  let pending = Buffer.alloc(0);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      const query = pending.subarray(2, 2 + length);
      pending = pending.subarray(2 + length);
      const response = answer(query);
      if (!response) continue;
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(response.length);
      socket.write(Buffer.concat([prefix, response]));
    }
  });
}

interface Result {
  response: Buffer | undefined;
  question: { name: string; type: string } | undefined;
  outcome: DnsQueryLogEntry['outcome'];
}

/** Builds the answer to one query message; `response` undefined means stay silent. */
function respond(zone: Zone, raw: Buffer, transport: DnsTransport, maxUdpBytes: number): Result {
  let query: DecodedPacket;
  try {
    query = dnsPacket.decode(raw);
  } catch {
    // Not even a header to answer to: a real server drops it too.
    return { response: undefined, question: undefined, outcome: 'DROPPED' };
  }
  const question = query.questions?.[0];
  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  const ednsOffered = query.additionals?.find((rr) => rr.type === 'OPT');
  const reply = (rcode: RcodeName, answers: Answer[] = [], authorities: Answer[] = []): Packet => ({
    type: 'response',
    id: query.id,
    // A resolver's view: recursion available, RD echoed, not authoritative.
    flags: ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | RCODE[rcode],
    questions: question ? [question] : [],
    answers,
    authorities,
    additionals: ednsOffered ? [ednsRecord()] : [],
  });
  if (!question) {
    return { response: dnsPacket.encode(reply('FORMERR')), question: undefined, outcome: 'FORMERR' };
  }
  const logged = { name: question.name, type: question.type };
  if (opcode !== 0) {
    return { response: dnsPacket.encode(reply('NOTIMP')), question: logged, outcome: 'NOTIMP' };
  }

  const lookup = zone.lookup(question.name, question.type);
  if (lookup.rcode === 'DROPPED') return { response: undefined, question: logged, outcome: 'DROPPED' };
  const full = dnsPacket.encode(reply(lookup.rcode, lookup.answers, lookup.authorities));
  if (transport === 'tcp' || full.length <= udpLimit(ednsOffered, maxUdpBytes)) {
    return { response: full, question: logged, outcome: lookup.rcode };
  }
  // Too big for this datagram: TC set and no records, the client retries over TCP.
  const truncated = reply(lookup.rcode);
  truncated.flags = (truncated.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE;
  return { response: dnsPacket.encode(truncated), question: logged, outcome: 'TRUNCATED' };
}

/** The largest UDP answer for this query: 512 bytes without EDNS, else the client's size within our bounds. */
function udpLimit(edns: Answer | undefined, maxUdpBytes: number): number {
  const offered =
    edns && 'udpPayloadSize' in edns ? Math.max(CLASSIC_UDP_BYTES, edns.udpPayloadSize) : CLASSIC_UDP_BYTES;
  return Math.min(offered, maxUdpBytes);
}

function ednsRecord(): Answer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: EDNS_UDP_BYTES,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
}

interface Lookup {
  rcode: RcodeName | 'DROPPED';
  answers: Answer[];
  authorities: Answer[];
}

/** The records and faults, indexed by normalized name. */
class Zone {
  private readonly records = new Map<string, DnsRecord[]>();
  private readonly faults = new Map<string, DnsFault[]>();
  /** Set: every question fails this way (see DnsServer.failAll). */
  failEverything: DnsFaultKind | null = null;

  add(entries: DnsEntry[]): void {
    for (const entry of entries) {
      const index: Map<string, DnsEntry[]> = isFault(entry) ? this.faults : this.records;
      const key = normalizeName(entry.name);
      index.set(key, [...(index.get(key) ?? []), entry]);
    }
  }

  remove(names: string[]): void {
    for (const name of names.map(normalizeName)) {
      this.records.delete(name);
      this.faults.delete(name);
    }
  }

  /** What a resolver answers for (name, type): records, CNAME chain, NODATA, NXDOMAIN or a fault. */
  lookup(qname: string, qtype: RecordType): Lookup {
    if (this.failEverything) return faultLookup({ name: qname, fault: this.failEverything });
    const answers: Answer[] = [];
    const seen = new Set<string>();
    let owner = qname; // first hop keeps the client's spelling, as servers echo it
    for (;;) {
      const name = normalizeName(owner);
      const fault = this.faults.get(name)?.find((f) => f.type === undefined || f.type === qtype);
      if (fault) return faultLookup(fault);
      // The root and each top-level domain in use are zone apexes: their SOA is there.
      if (qtype === 'SOA' && !name.includes('.') && this.exists(name)) {
        return { rcode: 'NOERROR', answers: [{ ...soaFor(name), name: owner }], authorities: [] };
      }
      const here = this.records.get(name) ?? [];
      const matching = here.filter((record) => record.type === qtype);
      if (matching.length > 0) {
        answers.push(...matching.map((record) => toAnswer(record, owner)));
        return { rcode: 'NOERROR', answers, authorities: [] };
      }
      const cname = qtype === 'CNAME' ? undefined : here.find((record) => record.type === 'CNAME');
      if (cname && cname.type === 'CNAME') {
        if (seen.has(name) || seen.size >= MAX_CNAME_CHAIN) {
          return { rcode: 'SERVFAIL', answers: [], authorities: [] };
        }
        seen.add(name);
        answers.push(toAnswer(cname, owner));
        owner = normalizeName(cname.target);
        continue;
      }
      // NODATA when the name exists (or has names below it), else NXDOMAIN; both carry the SOA for negative caching.
      const rcode = this.exists(name) ? 'NOERROR' : 'NXDOMAIN';
      return { rcode, answers, authorities: [soaFor(name)] };
    }
  }

  private exists(name: string): boolean {
    if (name === '' || this.records.has(name)) return true;
    for (const key of this.records.keys()) if (key.endsWith(`.${name}`)) return true;
    return false;
  }
}

const FAULT_RCODES: Record<DnsFaultKind, Lookup['rcode']> = {
  timeout: 'DROPPED',
  servfail: 'SERVFAIL',
  refused: 'REFUSED',
  nxdomain: 'NXDOMAIN',
};

function faultLookup(fault: DnsFault): Lookup {
  return { rcode: FAULT_RCODES[fault.fault], answers: [], authorities: [] };
}

function toAnswer(record: DnsRecord, owner: string): Answer {
  const base = { name: owner, ttl: record.ttl ?? DEFAULT_TTL, class: 'IN' as const };
  switch (record.type) {
    case 'A':
    case 'AAAA':
      return { ...base, type: record.type, data: record.address };
    case 'MX':
      return { ...base, type: 'MX', data: { preference: record.priority, exchange: normalizeName(record.exchange) } };
    case 'CNAME':
    case 'PTR':
      return { ...base, type: record.type, data: normalizeName(record.target) };
    case 'TXT':
      return { ...base, type: 'TXT', data: Array.isArray(record.text) ? record.text : [record.text] };
  }
}

/** A synthetic SOA for the name's parent-ish zone (its last two labels); enough for negative answers. */
function soaFor(name: string): Answer {
  const zone = name.split('.').slice(-2).join('.');
  const suffix = zone === '' ? '' : `.${zone}`;
  return {
    type: 'SOA',
    name: zone === '' ? '.' : zone,
    ttl: DEFAULT_TTL,
    class: 'IN',
    data: {
      mname: `ns${suffix}`,
      rname: `hostmaster${suffix}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: DEFAULT_TTL,
    },
  };
}
