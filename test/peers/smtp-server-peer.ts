/**
 * The npm `smtp-server` (a real, PIPELINING- and STARTTLS-capable SMTP
 * server) on a loopback port, with what the client sends recorded in the
 * same ConnectionLog as the scripted server, and a close() that does not
 * wait out smtp-server's 30-second grace period for open connections.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { ConnectionLog, LineBuffer } from './connection-log.js';
import { listen } from './listen.js';

export interface SmtpServerPeer {
  readonly host: string;
  readonly port: number;
  readonly server: SMTPServer;
  readonly connections: ConnectionLog[];
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts smtp-server; rejects (leaving nothing open) when the port is taken. */
export async function startSmtpServerPeer(
  host: string,
  port: number,
  options: SMTPServerOptions,
): Promise<SmtpServerPeer> {
  const connections: ConnectionLog[] = [];
  /** Logs by the client's address and port, to find a connection again from its TLS socket. */
  const byClient = new Map<string, ConnectionLog>();
  /** For each accepted socket, the socket on top of it (itself, or its TLS socket): the one to destroy. */
  const topSockets = new Map<string, net.Socket>();

  const server = new SMTPServer({
    logger: false,
    // smtp-server would ask the system resolver for the PTR of 127.0.0.x: traffic off loopback and delays.
    disableReverseLookup: true,
    ...options,
    onSecure(socket, session, callback) {
      const key = clientKey(socket);
      const log = byClient.get(key);
      if (log) {
        const tlsSocket = socket as tls.TLSSocket;
        log.tls = {
          protocol: tlsSocket.getProtocol() ?? '',
          cipher: tlsSocket.getCipher().name,
          resumed: tlsSocket.isSessionReused(),
        };
        tap(socket, log, true);
        topSockets.set(key, socket);
      }
      if (options.onSecure) options.onSecure(socket, session, callback);
      else callback();
    },
  });
  // Connection errors (resets by the client) are client behaviour; without a listener they would crash the process.
  server.on('error', () => undefined);
  // Prepended so the tap sees the socket before smtp-server wires it up.
  server.server.prependListener('connection', (socket: net.Socket) => {
    const key = clientKey(socket);
    const log = new ConnectionLog(connections.length + 1, socket.remoteAddress ?? '', socket.remotePort ?? 0);
    connections.push(log);
    byClient.set(key, log);
    topSockets.set(key, socket);
    tap(socket, log, false);
    socket.once('close', () => {
      log.closed();
      byClient.delete(key);
      topSockets.delete(key);
    });
  });

  const boundPort = await listen(server.server, host, port);
  return {
    host,
    port: boundPort,
    server,
    connections,
    close: async () => {
      for (const socket of topSockets.values()) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function clientKey(socket: net.Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

/**
 * Records what crosses `socket` without changing how smtp-server reads it:
 * wrapping emit('data') instead of adding a 'data' listener keeps the
 * stream's flow mode (and so smtp-server's own reading) untouched.
 */
function tap(socket: net.Socket, log: ConnectionLog, tls: boolean): void {
  const lines = new LineBuffer();
  const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    const chunk = args[0];
    if (event === 'data' && Buffer.isBuffer(chunk)) {
      log.clientRead(chunk.length);
      lines.push(chunk);
      for (let line = lines.next(); line !== null; line = lines.next()) log.clientLine(line, tls);
    }
    return emit(event, ...args);
  }) as typeof socket.emit;
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    log.serverWrite(String(chunk), tls);
    return write(chunk, ...rest);
  }) as typeof socket.write;
}
