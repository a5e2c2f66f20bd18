/**
 * Bounds on open client connections: in all, and per client (an IPv4
 * address, an IPv6 /64). Each connection is a file descriptor; without a
 * bound, clients that open connections and trickle their requests exhausted
 * the process's descriptors and the service stopped answering (issue 12).
 * A connection over a bound is answered 503 and closed at once, before any
 * of its bytes is read, so a refused client costs a descriptor for a
 * moment and never a request. Trusted proxies are held to the global bound
 * only: all their clients share their address.
 */
import { BlockList, isIP, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { type TRUST_PROXY_KEYWORDS } from '../../config/http-settings.js';
import type { ErrorResponse } from '../../model/protocol.js';
import { clientKey } from '../client-key.js';

export interface ConnectionCaps {
  /** Client connections open now (refused ones are never counted). */
  open(): number;
  /** Connections refused since start, for the log and the bench. */
  refused(): number;
  /** Whether this socket was refused (a request that slipped through on it is dropped unanswered). */
  isRefused(socket: Socket): boolean;
}

/** Seconds a refused client is told to wait: deadlines free slots within a request timeout. */
const RETRY_AFTER_S = 5;

function refusal(message: string): string {
  const body = JSON.stringify({ error: message } satisfies ErrorResponse);
  return [
    'HTTP/1.1 503 Service Unavailable',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `Retry-After: ${RETRY_AFTER_S}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** The ranges proxy-addr gives its keywords, so the exemption matches what fastify trusts. */
const KEYWORD_RANGES: Record<(typeof TRUST_PROXY_KEYWORDS)[number], [string, number][]> = {
  loopback: [
    ['127.0.0.0', 8],
    ['::1', 128],
  ],
  linklocal: [
    ['169.254.0.0', 16],
    ['fe80::', 10],
  ],
  uniquelocal: [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['fc00::', 7],
  ],
};

/** Whether a connecting address is one of the trusted proxies (the same list fastify's trustProxy gets). */
export function trustedProxyMatcher(list: readonly string[] | null): (address: string | undefined) => boolean {
  if (list === null) return () => false;
  const blocks = new BlockList();
  const add = (address: string, prefix: number | undefined) => {
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) blocks.addAddress(address, type);
    else blocks.addSubnet(address, prefix, type);
  };
  for (const entry of list) {
    const ranges = KEYWORD_RANGES[entry as keyof typeof KEYWORD_RANGES];
    if (ranges) ranges.forEach(([a, p]) => add(a, p));
    else {
      const [address = '', prefix] = entry.split('/');
      add(address, prefix === undefined ? undefined : Number(prefix));
    }
  }
  return (address) => {
    if (address === undefined) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const plain = mapped ? mapped[1]! : address.replace(/%.*$/, '');
    const family = isIP(plain);
    return family !== 0 && blocks.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}

export interface CapSettings {
  maxConnections: number;
  maxConnectionsPerClient: number;
  trustProxy: readonly string[] | null;
}

export function capConnections(server: Server, settings: CapSettings): ConnectionCaps {
  const isTrustedProxy = trustedProxyMatcher(settings.trustProxy);
  const perClient = new Map<string, number>();
  let open = 0;
  let refused = 0;
  const refusedSockets = new WeakSet<Socket>();
  const tooMany = refusal(
    `Too many connections: this checker serves at most ${settings.maxConnections} at once; retry in ${RETRY_AFTER_S} s.`,
  );
  const tooManyFromClient = refusal(
    `Too many connections from your address: at most ${settings.maxConnectionsPerClient} at once per client; retry in ${RETRY_AFTER_S} s.`,
  );

  const refuse = (socket: Socket, answer: string) => {
    refused++;
    refusedSockets.add(socket);
    // Written before any byte of the client is read; closed as soon as it is out, so the
    // request behind it (if any) is never parsed.
    socket.write(answer, () => socket.destroy());
    socket.setTimeout(RETRY_AFTER_S * 1000, () => socket.destroy());
  };

  server.on('connection', (socket: Socket) => {
    const proxy = isTrustedProxy(socket.remoteAddress);
    const key = clientKey(socket.remoteAddress);
    const mine = perClient.get(key) ?? 0;
    if (open >= settings.maxConnections) return refuse(socket, tooMany);
    if (!proxy && mine >= settings.maxConnectionsPerClient) return refuse(socket, tooManyFromClient);
    open++;
    perClient.set(key, mine + 1);
    socket.once('close', () => {
      open--;
      const left = (perClient.get(key) ?? 1) - 1;
      if (left === 0) perClient.delete(key);
      else perClient.set(key, left);
    });
  });
  return { open: () => open, refused: () => refused, isRefused: (socket) => refusedSockets.has(socket) };
}
