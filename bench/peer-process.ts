/**
 * The cost section's servers, in a child process so that the CPU time and
 * memory the bench reads from its own process are the checker's alone.
 * Starts a DNS server and one scripted MX per address (all on one port),
 * prints `{"dns", "port", "ca"}` as one JSON line, and exits when its stdin
 * closes (the parent went away or is done).
 *
 *   node --import tsx bench/peer-process.ts '{"hosts":["127.0.0.215"],"greetingDelayMs":5000,"domain":"cost.bench.test"}'
 */
import { testCa } from '../test/peers/certs.js';
import { mailDomainRecords } from '../test/peers/dns-records.js';
import { startDnsServer } from '../test/peers/dns-server.js';
import { startOnSamePort } from '../test/peers/listen.js';
import { POSTFIX_EXTENSIONS, benchAddress, startMx } from './bench-peers.js';

export interface PeerProcessConfig {
  hosts: string[];
  /** Tarpit: wait this long before the greeting (0: greet at once). */
  greetingDelayMs: number;
  /** Offer STARTTLS (the tarpit does not: a thousand server-side handshakes at once would measure the server). */
  tls: boolean;
  /** The domain whose MX the hosts are (records with PTRs are published). */
  domain: string;
  /** Offset of the DNS server's bench address. */
  dnsOffset: number;
}

export interface PeerProcessReady {
  dns: string;
  port: number;
  ca: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as PeerProcessConfig;
const dns = await startDnsServer(
  mailDomainRecords(
    config.domain,
    config.hosts.map((address, i) => ({ name: `mx${i}.${config.domain}`, addresses: [address] })),
  ),
  { host: benchAddress(config.dnsOffset) },
);
const { port, peers } = await startOnSamePort(
  config.hosts.map(
    (host) => (p: number) =>
      startMx(host, p, {
        suffix: config.domain,
        greetingDelayMs: config.greetingDelayMs,
        ...(config.tls ? {} : { extensions: POSTFIX_EXTENSIONS.filter((k) => k !== 'STARTTLS') }),
      }),
  ),
);
const ready: PeerProcessReady = { dns: dns.address, port, ca: testCa().cert };
process.stdout.write(`${JSON.stringify(ready)}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await Promise.all(peers.map((p) => p.close()));
  await dns.close();
  process.exit(0);
});
