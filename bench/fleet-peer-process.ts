/**
 * The distributed batch's peers, as a child process of the bench (see
 * fleet-peers.ts): a DNS server publishing every domain's MX (one of the
 * addresses each, with A and PTR records), and SMTP servers without
 * STARTTLS (the handshakes' CPU would hide what section 7 measures):
 * either one server behind a delay proxy on each address, or, at 0 ms, a
 * server on each address itself. Prints `{"dns","port"}` as one line once
 * listening, answers each `stats` line on stdin with one JSON line, and
 * closes everything when stdin ends.
 *
 *   node --import tsx bench/fleet-peer-process.ts '{"suffix":"fleet.bench.test","domainPrefix":"w",…}'
 */
import { createInterface } from 'node:readline';
import type { DnsRecord } from '../test/peers/dns-records.js';
import { startDnsServer } from '../test/peers/dns-server.js';
import { startOnSamePort } from '../test/peers/listen.js';
import { UPSTREAM_HOST, startMx, startProxies } from './bench-peers.js';
import type { ScriptedServer } from '../test/peers/scripted-smtp.js';
import type { DelayProxy } from './delay-proxy.js';
import {
  STATS_REQUEST,
  fleetDomain,
  type FleetPeerConfig,
  type FleetPeerReady,
  type FleetPeerStats,
} from './fleet-peers.js';

/** Long enough that the workers' DNS caches keep every MX name's answers for the whole run. */
const RECORD_TTL_S = 3600;
/** EHLO keywords: PIPELINING as a real MX has it, and no STARTTLS. */
const EXTENSIONS = ['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES'];
/**
 * The servers' and the DNS server's logs are counted and emptied this often: a 100,000-domain run
 * would otherwise keep 20,000 session transcripts and 300,000 queries in this process.
 */
const LOG_FLUSH_MS = 1000;

const config = JSON.parse(process.argv[2] ?? '{}') as FleetPeerConfig;

function records(): DnsRecord[] {
  const out: DnsRecord[] = [];
  config.addresses.forEach((address, m) => {
    const name = `mx${m}.${config.suffix}`;
    out.push({ name, type: 'A', address, ttl: RECORD_TTL_S });
    const [a, b, c, d] = address.split('.');
    out.push({ name: `${d}.${c}.${b}.${a}.in-addr.arpa`, type: 'PTR', target: name, ttl: RECORD_TTL_S });
  });
  for (let i = 0; i < config.domains; i++)
    out.push({
      name: fleetDomain(config, i),
      type: 'MX',
      priority: 10,
      exchange: `mx${i % config.addresses.length}.${config.suffix}`,
      ttl: RECORD_TTL_S,
    });
  return out;
}

const dns = await startDnsServer(records(), { host: config.dnsHost });
const mxOptions = { suffix: config.suffix, extensions: EXTENSIONS };
let servers: ScriptedServer[];
let proxies: DelayProxy[] = [];
let port: number;
if (config.oneWayMs === null) {
  const started = await startOnSamePort(config.addresses.map((host) => (p: number) => startMx(host, p, mxOptions)));
  servers = started.peers;
  port = started.port;
} else {
  const server = await startMx(UPSTREAM_HOST, 0, mxOptions);
  servers = [server];
  const started = await startProxies(
    config.addresses,
    () => ({ host: UPSTREAM_HOST, port: server.port }),
    config.oneWayMs,
  );
  proxies = started.proxies;
  port = started.port;
}

let sessions = 0;
let dnsQueries = 0;
function flushLogs(): void {
  for (const s of servers) {
    sessions += s.connections.length;
    s.connections.length = 0;
  }
  dnsQueries += dns.queries.length;
  dns.queries.length = 0;
}
const flusher = setInterval(flushLogs, LOG_FLUSH_MS);

const ready: FleetPeerReady = { dns: dns.address, port };
process.stdout.write(`${JSON.stringify(ready)}\n`);

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() !== STATS_REQUEST) return;
  flushLogs();
  const stats: FleetPeerStats = {
    peak: proxies.length > 0 ? Math.max(...proxies.map((p) => p.peakOpen())) : null,
    sessions,
    dnsQueries,
  };
  process.stdout.write(`${JSON.stringify(stats)}\n`);
});
input.on('close', async () => {
  clearInterval(flusher);
  for (const p of proxies) await p.close();
  await Promise.all(servers.map((s) => s.close()));
  await dns.close();
  process.exit(0);
});
