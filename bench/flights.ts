/**
 * Section 1: client flights per endpoint probe (full probe: STARTTLS and the
 * three transactions), counted by the delay proxy on the server's side of
 * the wire (see delay-proxy.ts for the counting rule).
 */
import { collect } from '../src/collect/collect.js';
import { parseResolver } from '../src/config/settings.js';
import { testCa } from '../test/peers/certs.js';
import { mailDomainRecords } from '../test/peers/dns-records.js';
import type { DnsServer } from '../test/peers/dns-server.js';
import { scenarios } from '../test/peers/smtp-scenarios.js';
import { POSTFIX_EXTENSIONS, UPSTREAM_HOST, benchAddress, startMx } from './bench-peers.js';
import { startDelayProxy } from './delay-proxy.js';
import type { Row } from './table.js';

/** One-way delay while counting: any server answer reaches the proxy this long after the send that caused it. */
const COUNTING_ONE_WAY_MS = 25;

interface FlightCase {
  label: string;
  /** Protocol minimum for the full probe, and the target. */
  minimum: number;
  target: number;
  start: (domain: string) => Promise<{ port: number; close(): Promise<void> }>;
}

const CASES: FlightCase[] = [
  {
    // EHLO; MAIL/RCPT/RSET (null sender) + STARTTLS; ClientHello; Finished + EHLO; MAIL/RCPT/RSET (relay) + QUIT.
    label: 'PIPELINING + TLS 1.3 (smtp-server)',
    minimum: 5,
    target: 5,
    start: (domain) => scenarios.healthy({ host: UPSTREAM_HOST, port: 0, domain, mxName: `mx.${domain}` }),
  },
  {
    label: 'PIPELINING + TLS 1.3 (scripted)',
    minimum: 5,
    target: 5,
    start: (domain) => startMx(UPSTREAM_HOST, 0, { suffix: domain }),
  },
  {
    // TLS 1.2 needs the server's Finished before the client may send data: EHLO is a flight of its own.
    label: 'PIPELINING + TLS 1.2',
    minimum: 6,
    target: 6,
    start: (domain) => startMx(UPSTREAM_HOST, 0, { suffix: domain, tls: { maxVersion: 'TLSv1.2' } }),
  },
  {
    // EHLO; MAIL, RCPT, RSET (null sender); STARTTLS; ClientHello; Finished + EHLO; MAIL, RCPT (relay), QUIT.
    // The null sender accepted at postmaster@ answers the postmaster probe: its three flights are not spent.
    label: 'no PIPELINING + TLS 1.3',
    minimum: 10,
    target: 10,
    start: (domain) =>
      startMx(UPSTREAM_HOST, 0, {
        suffix: domain,
        extensions: POSTFIX_EXTENSIONS.filter((k) => k !== 'PIPELINING'),
        strictSync: true,
      }),
  },
  {
    // EHLO; MAIL/RCPT/RSET (null sender); MAIL/RCPT/RSET (relay) + QUIT: the null sender's answer decides
    // whether the postmaster probe is needed, so it goes alone first.
    label: 'PIPELINING, no STARTTLS',
    minimum: 3,
    target: 3,
    start: (domain) =>
      startMx(UPSTREAM_HOST, 0, { suffix: domain, extensions: POSTFIX_EXTENSIONS.filter((k) => k !== 'STARTTLS') }),
  },
];

export async function measureFlights(dns: DnsServer, log: (line: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [i, c] of CASES.entries()) {
    const domain = `flights${i}.bench.test`;
    const address = benchAddress(1 + i);
    const server = await c.start(domain);
    const proxy = await startDelayProxy({
      host: address,
      port: 0,
      upstream: { host: UPSTREAM_HOST, port: server.port },
      oneWayMs: COUNTING_ONE_WAY_MS,
    });
    dns.set(...mailDomainRecords(domain, [{ name: `mx.${domain}`, addresses: [address] }]));
    try {
      const obs = await collect(
        { domain, timeout: 10 },
        { resolver: parseResolver(dns.address), port: proxy.port, trustStore: [testCa().cert], egressCanary: [] },
      );
      const ep = obs.endpoints[0]!;
      const flights = proxy.connections.map((cn) => cn.flights);
      const outcomes = ep.transactions.map((t) => t.outcome).join('/');
      log(
        `  ${c.label}: flights ${flights.join(',')}; ${ep.starttls.tls?.version ?? 'no TLS'}, pipelined ${ep.pipelined}, ${outcomes}, ${ep.timings.total_ms} ms at ${2 * COUNTING_ONE_WAY_MS} ms RTT`,
      );
      const sane =
        ep.error === null &&
        ep.starttls.ok === ep.starttls.offered &&
        outcomes === 'accepted/accepted/rejected' &&
        flights.length === 1;
      rows.push({
        section: 'flights',
        metric: `client flights, ${c.label}`,
        value: sane ? String(flights[0]) : `broken probe (${ep.error?.message ?? outcomes})`,
        target: `${c.target} (minimum ${c.minimum}; never > ${c.minimum + 1})`,
        pass: sane && flights[0]! <= c.target,
      });
    } finally {
      await proxy.close();
      await server.close();
    }
  }
  return rows;
}
