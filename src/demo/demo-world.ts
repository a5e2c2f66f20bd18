/**
 * The demo world: two mail domains simulated on this machine's loopback, so
 * anyone can see what a check reports without a network, a lab or port 25.
 * A real DNS server answering real packets, real SMTP servers (smtp-server)
 * and a CA made for the run; the check that runs against it is the real one,
 * pointed at this world's resolver, port and trust store.
 *
 * - healthy.example: one MX (mx.healthy.example) on 127.0.25.10 and, when
 *   this machine has IPv6 loopback, ::1: STARTTLS with a certificate from
 *   the demo CA, PTR and forward-confirmed reverse DNS, postmaster and the
 *   null sender accepted, relaying refused.
 * - broken.example: mx1.broken.example on two addresses (127.0.25.20, .21)
 *   that relay for anyone, offer no STARTTLS and have no PTR; and
 *   mx2.broken.example on 127.0.25.22, where nothing listens.
 *
 * Everything listens on 127.0.25.0/24 (and ::1), one port for every SMTP
 * server, chosen at run time; nothing is ever sent off this machine.
 */
import { CheckerError } from '../model/errors.js';
import { createDemoCertificates } from './certificates.js';
import { mailDomainRecords, type DnsRecord } from './dns-records.js';
import { startDnsServer, type DnsServer } from './dns-server.js';
import { startOnSamePort, type Closable } from './listen.js';
import { startDemoMailServer } from './mail-server.js';

/** The demo's own corner of the loopback range: 127.0.25.x, away from the test suites' 127.0.0.x. */
export const DEMO_ADDRESSES = {
  resolver: '127.0.25.53',
  healthy: '127.0.25.10',
  brokenRelays: ['127.0.25.20', '127.0.25.21'],
  /** No server listens here: a connection is refused, as from an MX host whose MTA is down. */
  brokenDown: '127.0.25.22',
  /** The IPv6 loopback address, the one IPv6 address a machine can listen on without setup. */
  ipv6: '::1',
} as const;

export const DEMO_DOMAINS = { healthy: 'healthy.example', broken: 'broken.example' } as const;

export interface DemoWorld {
  /** The world's DNS resolver ("127.0.25.53"), and its port: the check's resolver setting. */
  resolver: { host: string; port: number };
  /** The SMTP port every demo MX listens on: the check's port setting. */
  port: number;
  /** The domains to check: the healthy one, then the broken one. */
  domains: { healthy: string; broken: string };
  /** The demo CA (PEM), the only root the demo's check should trust. */
  trustStore: string[];
  /** A canary for the egress check that stays in this world: the healthy MX (it never runs while one connects). */
  egressCanary: { host: string; port: number }[];
  /** Whether the healthy domain has its IPv6 endpoint (this machine has IPv6 loopback). */
  ipv6: boolean;
  /** Stops every server of the world. */
  close(): Promise<void>;
}

const MX_HEALTHY = `mx.${DEMO_DOMAINS.healthy}`;
const MX1_BROKEN = `mx1.${DEMO_DOMAINS.broken}`;
const MX2_BROKEN = `mx2.${DEMO_DOMAINS.broken}`;

function records(ipv6: boolean): DnsRecord[] {
  const healthy = [DEMO_ADDRESSES.healthy, ...(ipv6 ? [DEMO_ADDRESSES.ipv6] : [])];
  return [
    ...mailDomainRecords(DEMO_DOMAINS.healthy, [{ name: MX_HEALTHY, addresses: healthy }]),
    ...mailDomainRecords(DEMO_DOMAINS.broken, [
      { name: MX1_BROKEN, addresses: [...DEMO_ADDRESSES.brokenRelays], priority: 10, ptr: false },
      { name: MX2_BROKEN, addresses: [DEMO_ADDRESSES.brokenDown], priority: 20 },
    ]),
  ];
}

/** Error codes that say this machine will not listen on an address (not that a port is taken). */
const CANNOT_LISTEN = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EINVAL']);

function cannotListen(err: unknown): boolean {
  return CANNOT_LISTEN.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** Whether this machine can listen on the IPv6 loopback address (containers often cannot). */
async function hasIpv6Loopback(): Promise<boolean> {
  const net = await import('node:net');
  const probe = net.createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen({ host: DEMO_ADDRESSES.ipv6, port: 0 }, () => probe.close(() => resolve(true)));
  });
}

/**
 * Starts the world. Rejects with a CheckerError `demo.unavailable`, leaving nothing open, when
 * this machine will not listen on 127.0.25.x (macOS configures 127.0.0.1
 * alone: `sudo ifconfig lo0 alias 127.0.25.10 up`, and so on, adds more).
 */
export async function startDemoWorld(): Promise<DemoWorld> {
  const ipv6 = await hasIpv6Loopback();
  const certificates = await createDemoCertificates();
  const healthyTls = await certificates.leaf(MX_HEALTHY);
  const local = [DEMO_DOMAINS.healthy, DEMO_DOMAINS.broken];
  const healthy = (host: string) => (port: number) =>
    startDemoMailServer({ host, port, name: MX_HEALTHY, localDomains: local, tls: healthyTls, openRelay: false });
  const relay = (host: string) => (port: number) =>
    startDemoMailServer({ host, port, name: MX1_BROKEN, localDomains: local, tls: null, openRelay: true });

  let dns: DnsServer | undefined;
  let peers: Closable[] = [];
  try {
    dns = await startDnsServer(records(ipv6), { host: DEMO_ADDRESSES.resolver });
    const started = await startOnSamePort<Closable>([
      healthy(DEMO_ADDRESSES.healthy),
      ...(ipv6 ? [healthy(DEMO_ADDRESSES.ipv6)] : []),
      ...DEMO_ADDRESSES.brokenRelays.map(relay),
    ]);
    peers = started.peers;
    const world = dns;
    return {
      resolver: { host: world.host, port: world.port },
      port: started.port,
      domains: { ...DEMO_DOMAINS },
      trustStore: [certificates.ca],
      egressCanary: [{ host: DEMO_ADDRESSES.healthy, port: started.port }],
      ipv6,
      close: async () => {
        await Promise.all([...peers.map((p) => p.close()), world.close()]);
      },
    };
  } catch (err) {
    await Promise.all([...peers.map((p) => p.close()), dns?.close()]);
    if (cannotListen(err))
      throw new CheckerError(
        'demo.unavailable',
        `The demo needs to listen on 127.0.25.x, which this machine refuses (${(err as NodeJS.ErrnoException).code}). On macOS only 127.0.0.1 is configured: add the demo's addresses with "sudo ifconfig lo0 alias 127.0.25.53 up" (and 127.0.25.10, 127.0.25.20, 127.0.25.21).`,
        { cause: err },
      );
    throw err;
  }
}
