/**
 * A demo MX: the npm `smtp-server` (a real SMTP server: PIPELINING,
 * STARTTLS, enhanced status codes) on a loopback address, answering as a
 * Postfix would for the domains it receives for, set up right or wrong. It
 * takes nothing: probes stop at RCPT, and a message sent anyway is refused.
 */
import type net from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { DemoCredentials } from './certificates.js';
import { listen } from './listen.js';

export interface DemoMailServerOptions {
  host: string;
  port: number;
  /** The name it greets with. */
  name: string;
  /** Domains it receives for: their recipients (postmaster@ included) are local, others are relaying. */
  localDomains: string[];
  /** STARTTLS with this key and certificate; null: no STARTTLS at all. */
  tls: DemoCredentials | null;
  /** Accept recipients in any domain: an open relay. */
  openRelay: boolean;
}

export interface DemoMailServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Postfix's default message size limit, advertised as SIZE. */
const MESSAGE_SIZE_LIMIT = 10_240_000;

function smtpError(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

function isLocal(address: string, localDomains: readonly string[]): boolean {
  const at = address.lastIndexOf('@');
  // RFC 5321 §4.5.1: a bare <postmaster> is this server's postmaster.
  if (at < 0) return address.toLowerCase() === 'postmaster';
  const domain = address
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, '');
  return localDomains.includes(domain);
}

/** Starts the server; rejects (leaving nothing open) when the address or port cannot be had. */
export async function startDemoMailServer(options: DemoMailServerOptions): Promise<DemoMailServer> {
  const sockets = new Set<net.Socket>();
  const server = new SMTPServer({
    logger: false,
    name: options.name,
    // smtp-server writes "220 <name> ESMTP <banner>" itself.
    banner: 'checker-smtp demo',
    // It would ask the system resolver for the PTR of 127.0.x.x: traffic off loopback, and delays.
    disableReverseLookup: true,
    size: MESSAGE_SIZE_LIMIT,
    // An MX takes mail from anyone: no AUTH needed, nor offered.
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    hideSTARTTLS: options.tls === null,
    // Advertised, and each reply carries its enhanced code (RFC 3463), as Postfix does.
    hideENHANCEDSTATUSCODES: false,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    onRcptTo(address, _session, callback) {
      if (options.openRelay || isLocal(address.address, options.localDomains)) return callback();
      callback(smtpError(554, `<${address.address}>: Relay access denied`));
    },
    onData(stream, _session, callback) {
      // Probes stop at RCPT; should a client send a message anyway, it is refused, never kept.
      stream.resume();
      stream.once('end', () => callback(smtpError(554, 'Error: the demo accepts no message')));
    },
  });
  // A client's reset is the client's business; unhandled, it would end the process.
  server.on('error', () => undefined);
  server.server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server.server, options.host, options.port);
  return {
    host: options.host,
    port,
    // smtp-server waits 30 s for open connections before it closes: the demo does not.
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
