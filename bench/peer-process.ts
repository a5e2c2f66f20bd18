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
}

export interface PeerProcessReady {
  dns: string;
  port: number;
  ca: string;
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
const ready: PeerProcessReady = { dns: dns.address, port, ca: testCa().cert };
process.stdout.write(`${JSON.stringify(ready)}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await Promise.all(peers.map((p) => p.close()));
  await dns.close();
  process.exit(0);
});
