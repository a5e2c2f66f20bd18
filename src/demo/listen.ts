/**
 * Listening helpers for loopback peers (the demo world's, and the tests').
 * The checker probes one configurable port on every address (port 25 in
 * production), so a domain whose MX hosts are 127.0.0.2, 127.0.0.3 and ::1
 * needs its peers on the same port on each of those addresses. Loopback
 * only: neither the demo nor the tests need root or the network.
 */
import type { AddressInfo, Server } from 'node:net';

/**
 * Attempts at finding a port free on every host. The first host gets a port
 * from the kernel, which is free there but may be taken on another address by
 * a parallel test process; collisions are rare, so a few retries suffice.
 */
const SAME_PORT_ATTEMPTS = 20;

/** Starts `server` listening; resolves with the bound port, rejects with the listen error (code EADDRINUSE...). */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port });
  });
}

/** Stops listening; resolves once the server is closed (immediately when it was not listening). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

export function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/**
 * Listens every server on the same port, each on its own host. Resolves with
 * the port. On EADDRINUSE everything is closed and a new port is tried.
 */
export async function listenAll(servers: ReadonlyArray<{ host: string; server: Server }>): Promise<number> {
  const [first, ...rest] = servers;
  if (!first) throw new TypeError('listenAll() needs at least one server');
  let lastError: unknown;
  for (let attempt = 0; attempt < SAME_PORT_ATTEMPTS; attempt++) {
    const port = await listen(first.server, first.host, 0);
    const listening: Server[] = [first.server];
    try {
      for (const { host, server } of rest) {
        await listen(server, host, port);
        listening.push(server);
      }
      return port;
    } catch (err) {
      await Promise.all(listening.map(closeServer));
      if (!isAddressInUse(err)) throw err;
      lastError = err;
    }
  }
  throw new Error(`No port free on all of ${servers.map((s) => s.host).join(', ')}`, { cause: lastError });
}

/** Anything started on a port that can be stopped again: every loopback peer. */
export interface Closable {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts peers on one common port: the first start gets port 0 (the kernel
 * picks), the others that port. A start that fails with EADDRINUSE closes
 * everything started and the whole set is retried on a new port. Each starter
 * must leave nothing open when it rejects.
 *
 *   const { port, peers } = await startOnSamePort([
 *     (port) => healthy({ host: '127.0.0.2', port, domain }),
 *     (port) => greylisting({ host: '::1', port, domain }),
 *   ]);
 */
export async function startOnSamePort<T extends Closable>(
  starters: ReadonlyArray<(port: number) => Promise<T>>,
): Promise<{ port: number; peers: T[] }> {
  const [first, ...rest] = starters;
  if (!first) throw new TypeError('startOnSamePort() needs at least one starter');
  let lastError: unknown;
  for (let attempt = 0; attempt < SAME_PORT_ATTEMPTS; attempt++) {
    const firstPeer = await first(0);
    const peers: T[] = [firstPeer];
    try {
      for (const start of rest) peers.push(await start(firstPeer.port));
      return { port: firstPeer.port, peers };
    } catch (err) {
      await Promise.all(peers.map((peer) => peer.close()));
      if (!isAddressInUse(err)) throw err;
      lastError = err;
    }
  }
  throw new Error('No port free on all hosts', { cause: lastError });
}
