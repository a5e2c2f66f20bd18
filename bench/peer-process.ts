/**
 * The cost section's servers, in a child process so that the CPU time and
 * memory the bench reads from its own process are the checker's alone.
 * Starts a DNS server and one scripted MX per address (all on one port),
 * prints `{"dns", "port", "ca"}` as one JSON line, and exits when its stdin
 * closes (the parent went away or is done).
 *
 *   node --import tsx bench/peer-process.ts '{"hosts":["127.0.0.215"],"greetingDelayMs":5000,"domain":"cost.bench.test"}'
 */
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { leafCertificate, testCa } from '../test/peers/certs.js';
import { mailDomainRecords } from '../test/peers/dns-records.js';
import { startDnsServer } from '../test/peers/dns-server.js';
import { startOnSamePort } from '../test/peers/listen.js';
import { reply } from '../test/peers/scripted-dialogue.js';
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
  /** Spread the hosts over this many MX names (mx0…), several addresses each; default one name per host. */
  mxNames?: number;
  /**
   * Lines of padding in the greeting and in each EHLO reply (long
   * transcripts, as a verbose or hostile server makes); default none.
   */
  padLines?: number;
  /** Also publish d0…d(N-1).<domain>, each with MX mx(i mod names).<domain> (a bulk run's list). */
  listDomains?: number;
}

export interface PeerProcessReady {
  dns: string;
  port: number;
  ca: string;
  /** A bare TLS server (the first host, the MX certificate): it answers each TLS connection by closing it. */
  tlsPort: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as PeerProcessConfig;
const names = config.mxNames ?? config.hosts.length;
const dns = await startDnsServer(
  mailDomainRecords(
    config.domain,
    Array.from({ length: names }, (_, n) => ({
      name: `mx${n}.${config.domain}`,
      addresses: config.hosts.filter((_, i) => i % names === n),
    })),
  ),
  { host: benchAddress(config.dnsOffset) },
);
for (let i = 0; i < (config.listDomains ?? 0); i++)
  dns.set({ name: `d${i}.${config.domain}`, type: 'MX', priority: 10, exchange: `mx${i % names}.${config.domain}` });
const credentials = leafCertificate(`mx0.${config.domain}`);
const bareTls = tls.createServer({ key: credentials.key, cert: credentials.cert }, (socket) => socket.end());
bareTls.on('tlsClientError', () => undefined);
await new Promise<void>((resolve) => bareTls.listen(0, config.hosts[0], resolve));
/** A padding line: about a hundred characters, as a long banner or extension line is. */
const pad = (i: number) => `padding line ${i} ${'x'.repeat(80)}`;
const padLines = config.padLines ?? 0;
const greeting =
  padLines > 0
    ? reply(220, ...Array.from({ length: padLines }, (_, i) => pad(i)), `mx.${config.domain} ESMTP`)
    : undefined;
const padExtensions = Array.from({ length: padLines }, (_, i) => `X-${pad(i).replace(/ /g, '-')}`);
const { port, peers } = await startOnSamePort(
  config.hosts.map(
    (host) => (p: number) =>
      startMx(host, p, {
        suffix: config.domain,
        greetingDelayMs: config.greetingDelayMs,
        ...(greeting ? { greeting } : {}),
        extensions: [
          ...(config.tls ? POSTFIX_EXTENSIONS : POSTFIX_EXTENSIONS.filter((k) => k !== 'STARTTLS')),
          ...padExtensions,
        ],
      }),
  ),
);
const ready: PeerProcessReady = {
  dns: dns.address,
  port,
  ca: testCa().cert,
  tlsPort: (bareTls.address() as AddressInfo).port,
};
process.stdout.write(`${JSON.stringify(ready)}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  bareTls.close();
  await Promise.all(peers.map((p) => p.close()));
  await dns.close();
  process.exit(0);
});
