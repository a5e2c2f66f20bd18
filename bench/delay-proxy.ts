/**
 * A userspace TCP proxy standing between the checker and one loopback SMTP
 * server: it adds a fixed one-way delay to each direction (this kernel has no
 * netem), counts the client's flights, and counts connections open at once.
 *
 * Flight counting, server side of the wire: a client flight is a burst of
 * client bytes reaching the proxy after the server has sent something since
 * the client's previous burst, i.e. a send that had to wait for the server.
 * Bytes the client writes in one go (a pipelined group, or TLS Finished and
 * the EHLO behind it) arrive within microseconds; any server answer to them
 * reaches the proxy at least `oneWayMs` later (the proxy delays the way to
 * the server), so they cannot be split by it. TLS 1.3 NewSessionTicket
 * messages the server sends after the client's Finished are server bytes the
 * client never answers: they can only mark the client's *next* send, which
 * waited for the EHLO reply anyway, so they add no flight. Counting starts
 * when the connection opens (the first flight is EHLO, after the greeting)
 * and ends when it closes (after QUIT).
 */
import net from 'node:net';
import { listen, closeServer } from '../test/peers/listen.js';

export interface ProxyConnectionStats {
  /** Client bursts that followed server bytes (see the file comment). */
  flights: number;
  clientBytes: number;
  serverBytes: number;
  /** performance.now() at accept and at the client's FIN/close; connections open (this one included) at accept. */
  openedAt: number;
  endedAt: number;
  openAtAccept: number;
}

export interface DelayProxy {
  readonly host: string;
  readonly port: number;
  /** One entry per connection, in accept order; filled in as the connection runs. */
  readonly connections: ProxyConnectionStats[];
  /** Connections open now (accepted, and neither side has closed yet), and the most ever open at once. */
  open(): number;
  peakOpen(): number;
  close(): Promise<void>;
}

export interface DelayProxyOptions {
  /** Address and port to listen on (the address the checker dials). */
  host: string;
  port: number;
  /** The real server. */
  upstream: { host: string; port: number };
  /** Delay added to each direction, milliseconds (25 gives a 50 ms round trip). */
  oneWayMs: number;
}

/** Forward `chunk` after `ms`; timers of equal delay fire in creation order, so bytes stay in order. */
function later(ms: number, fn: () => void): void {
  if (ms <= 0) fn();
  else setTimeout(fn, ms);
}

export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const connections: ProxyConnectionStats[] = [];
  const sockets = new Set<net.Socket>();
  let open = 0;
  let peak = 0;

  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const stats: ProxyConnectionStats = {
      flights: 0,
      clientBytes: 0,
      serverBytes: 0,
      openedAt: performance.now(),
      endedAt: 0,
      openAtAccept: 0,
    };
    connections.push(stats);
    open++;
    stats.openAtAccept = open;
    peak = Math.max(peak, open);
    let serverSpoke = false;
    const upstream = net.connect({ host: options.upstream.host, port: options.upstream.port, noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    let ended = false;
    const done = () => {
      if (ended) return;
      ended = true;
      stats.endedAt = performance.now();
      open--;
    };
    client.on('data', (chunk: Buffer) => {
      stats.clientBytes += chunk.length;
      if (serverSpoke) {
        stats.flights++;
        serverSpoke = false;
      }
      later(options.oneWayMs, () => upstream.write(chunk));
    });
    upstream.on('data', (chunk: Buffer) => {
      stats.serverBytes += chunk.length;
      serverSpoke = true;
      later(options.oneWayMs, () => client.write(chunk));
    });
    // A close travels with the same delay as data, so it never overtakes bytes in flight.
    client.on('end', () => {
      // The client's FIN ends its session: it will send nothing more, whatever the close handshake still does.
      done();
      later(options.oneWayMs, () => upstream.end());
    });
    upstream.on('end', () => {
      // The server closed: its session is over (it sees the next connection one delay later anyway).
      done();
      later(options.oneWayMs, () => client.end());
    });
    client.on('error', () => {
      done();
      upstream.destroy();
    });
    upstream.on('error', () => {
      done();
      client.destroy();
    });
    client.on('close', () => {
      done();
      sockets.delete(client);
      later(options.oneWayMs, () => upstream.destroy());
    });
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('close', () => later(options.oneWayMs, () => client.destroy()));
  });
  server.on('error', () => undefined);
  const port = await listen(server, options.host, options.port);
  return {
    host: options.host,
    port,
    connections,
    open: () => open,
    peakOpen: () => peak,
    close: async () => {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}
