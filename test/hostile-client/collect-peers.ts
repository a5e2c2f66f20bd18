/**
 * Peers for the hostile-client suite (collect side): many loopback addresses
 * that count the connections the checker opens, tarpits that accept and
 * never greet, and the service under test with a shared connection gate the
 * tests can watch. Loopback only: every address here is in 127.61.0.0/16 to
 * 127.69.0.0/16, which no other test file uses.
 */
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { closeServer, listen, listenAll } from '../peers/listen.js';
import { createConnectionGate, type ConnectionGate } from '../../src/collect/connection-gate.js';
import type { DnsServer } from '../peers/dns-server.js';
import type { ServiceFlags } from '../../src/config/service-settings.js';
import { startService } from '../server/service-harness.js';

/** How long a condition polled by a test may take to hold; polls every POLL_MS. */
const POLL_MS = 10;
/** The greeting of a peer that counts: a refusal, so the checker moves on at once and never retries (not a 421). */
const REFUSAL = '554 5.3.2 not today\r\n';

export interface CountingPeers {
  readonly port: number;
  /** Connections accepted so far, per listening address. */
  readonly accepted: Map<string, number>;
  /** Connections accepted so far, all addresses. */
  total(): number;
  /** Connections accepted and not yet closed (by either side). */
  open(): number;
  /** Connections that were closed by the client side (we saw its FIN or reset). */
  closedByClient(): number;
  /** Tarpits give up: every held connection and every later one gets the 554 greeting at once. */
  release(): void;
  close(): Promise<void>;
}

/**
 * One listener per address on one port. `greet`: each connection gets a 554
 * greeting and is closed (the checker records a refusing server and moves on
 * at once); `tarpit`: it is accepted and never answered (the checker waits
 * out its budget, holding a connection slot).
 */
export async function startCountingPeers(
  hosts: readonly string[],
  initialMode: 'greet' | 'tarpit',
  port = 0,
): Promise<CountingPeers> {
  let mode = initialMode;
  const accepted = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  let clientClosed = 0;
  const servers = hosts.map((host) => ({
    host,
    server: net.createServer((socket) => {
      accepted.set(host, (accepted.get(host) ?? 0) + 1);
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('end', () => {
        clientClosed++;
        socket.destroy();
      });
      socket.on('close', () => sockets.delete(socket));
      if (mode === 'greet') socket.end(REFUSAL);
    }),
  }));
  let bound: number;
  if (port === 0) bound = await listenAll(servers);
  else {
    for (const { host, server } of servers) await listen(server, host, port);
    bound = port;
  }
  return {
    port: bound,
    accepted,
    total: () => [...accepted.values()].reduce((a, b) => a + b, 0),
    open: () => sockets.size,
    closedByClient: () => clientClosed,
    release: () => {
      mode = 'greet';
      for (const s of sockets) s.end(REFUSAL);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map(({ server }) => closeServer(server)));
    },
  };
}

/** `count` addresses 127.A.B.1…: `block` picks the /16 (61–69), `sub` the third octet. */
export function addresses(block: number, sub: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.${block}.${sub}.${i + 1}`);
}

/** Resolves once `condition()` holds; rejects after `withinMs` naming what was awaited. */
export async function until(what: string, condition: () => boolean, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${withinMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The service under test with its connection gate at hand, so a test can watch the slots. */
export async function serviceWithGate(
  dns: DnsServer,
  smtpPort: number,
  flags: ServiceFlags = {},
): Promise<{ app: FastifyInstance; gate: ConnectionGate }> {
  const gate = createConnectionGate({
    ...(flags.maxConnections ? { maxOpen: Number(flags.maxConnections) } : {}),
    ...(flags.connectionsPerAddress ? { perAddress: Number(flags.connectionsPerAddress) } : {}),
  });
  const app = await startService(dns, smtpPort, flags, { gate });
  return { app, gate };
}
