/**
 * The frame of the hostile-client suite: the real service listening on
 * 127.0.0.1, raw sockets that misbehave as attackers do (headers and a
 * Content-Length, then a trickle; nothing at all; a close halfway), and a
 * well-behaved client that must still get its answers. Each attacker may
 * come from its own loopback address (127.0.0.x as source), so a test can
 * be one client or many. Loopback only.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ServiceFlags } from '../../src/config/service-settings.js';
import { startBareService, startService } from '../server/service-harness.js';
import type { DnsServer } from '../peers/dns-server.js';

/** Where the service listens; attackers and the well-behaved client come from other 127.0.0.x addresses. */
export const SERVICE_HOST = '127.0.0.1';

export interface Listening {
  app: FastifyInstance;
  port: number;
  close(): Promise<void>;
}

/** The in-process service with `flags`, listening on 127.0.0.1 at a free port. */
export async function listenService(
  flags: ServiceFlags = {},
  peers?: { dns: DnsServer; smtpPort: number },
  extra: Parameters<typeof startBareService>[1] = {},
): Promise<Listening> {
  const app = peers
    ? await startService(peers.dns, peers.smtpPort, flags, extra)
    : await startBareService(flags, extra);
  await app.listen({ host: SERVICE_HOST, port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { app, port, close: () => app.close() };
}

/** A raw client connection: what it sent is the test's, what came back and when it was closed are recorded. */
export interface RawConnection {
  socket: net.Socket;
  /** Everything the service sent, as text. */
  received(): string;
  /** Resolves when the service (or the test) closed it: ms since the connection was opened. */
  closed: Promise<number>;
  isClosed(): boolean;
}

export function openRaw(port: number, localAddress?: string): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const opened = Date.now();
    const socket = net.connect({ host: SERVICE_HOST, port, ...(localAddress ? { localAddress } : {}) });
    let text = '';
    let isClosed = false;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    // A reset from the service is one way of being closed.
    socket.on('error', () => {});
    const closed = new Promise<number>((r) =>
      socket.once('close', () => {
        isClosed = true;
        r(Date.now() - opened);
      }),
    );
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({ socket, received: () => text, closed, isClosed: () => isClosed });
    });
    socket.once('error', reject);
  });
}

/** Opens `count` connections from `localAddress`, each sending `first` (if any). */
export async function openMany(
  port: number,
  count: number,
  localAddress: string,
  first?: string,
): Promise<RawConnection[]> {
  const all: RawConnection[] = [];
  for (let i = 0; i < count; i++) {
    const c = await openRaw(port, localAddress);
    if (first !== undefined) c.socket.write(first);
    all.push(c);
  }
  return all;
}

/** Headers of a POST whose body never comes whole: the slow-body attack. */
export const SLOW_BODY_HEAD =
  'POST /evaluate HTTP/1.1\r\nHost: checker\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** A well-behaved request on its own connection, from `localAddress`; rejects when the connection fails. */
export function request(
  port: number,
  path: string,
  options: {
    method?: string;
    localAddress?: string;
    headers?: Record<string, string>;
    body?: string;
    auth?: string;
  } = {},
): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: SERVICE_HOST,
        port,
        path,
        method: options.method ?? 'GET',
        agent: false,
        headers: options.headers ?? {},
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        ...(options.auth ? { auth: options.auth } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - started }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Destroys every connection and waits until each is closed. */
export async function closeAll(connections: RawConnection[]): Promise<void> {
  for (const c of connections) c.socket.destroy();
  await Promise.all(connections.map((c) => c.closed));
}

/** Polls `condition` every 20 ms until it holds or `withinMs` passes; returns whether it held. */
export async function eventually(condition: () => boolean | Promise<boolean>, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
