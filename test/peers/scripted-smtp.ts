/**
 * A raw TCP server for byte-exact SMTP scenarios: each connection runs an
 * async script that writes exactly the bytes it wants, when it wants, and
 * reads the client's lines. Everything the client sends is logged on arrival
 * (see ConnectionLog) whatever the script reads.
 *
 *   const peer = await startScriptedServer({ host: '127.0.0.2', port: 0, script: async (conn) => {
 *     await conn.send('220 mx.example.test ESMTP\r\n');
 *     while ((await conn.readLine()) !== null) await conn.send('502 5.5.2 Not here\r\n');
 *   }});
 *   ...
 *   peer.connections[0]?.commands; await peer.close();
 */
import net from 'node:net';
import tls from 'node:tls';
import { ConnectionLog, LineBuffer } from './connection-log.js';
import { closeServer, listen } from './listen.js';

export { runDialogue, reply, type DialoguePolicy } from './scripted-dialogue.js';

/** First byte of a TLS handshake record: what a ClientHello racing ahead of our STARTTLS reply starts with. */
const TLS_HANDSHAKE_RECORD = 0x16;
const STARTTLS_COMMAND = /^STARTTLS\s*$/i;
/** How long `end()` waits for the client to close its side after our FIN before destroying the socket. */
const END_GRACE_MS = 1000;
/**
 * Event-loop turns `reset()` waits before the RST. One is not enough: the
 * write callback may run in the poll phase right after the client's socket
 * was served, and the check phase follows before the next poll; the second
 * turn always contains a whole poll phase.
 */
const LOOP_TURNS_BEFORE_RESET = 2;

function nextLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Server-side TLS for STARTTLS. TLS 1.0 only: `minVersion/maxVersion: 'TLSv1'`, `ciphers: 'DEFAULT:@SECLEVEL=0'`. */
export interface TlsUpgradeOptions {
  key: string;
  cert: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
  /** Fail the handshake of a client that offers to resume a session (a server broken on resumption). */
  refuseResumption?: boolean;
}

/** A fatal TLS alert, handshake_failure (RFC 8446 §6), in a TLS 1.2-versioned record as servers send it. */
const HANDSHAKE_FAILURE_ALERT = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);

/**
 * Whether a ClientHello record offers to resume: a pre_shared_key extension
 * (41, TLS 1.3) or a non-empty session_ticket extension (35, TLS 1.2).
 */
export function offersResumption(record: Buffer): boolean {
  try {
    let p = 5 + 4 + 2 + 32; // record header, handshake header, legacy_version, random
    p += 1 + record[p]!; // session id
    p += 2 + record.readUInt16BE(p); // cipher suites
    p += 1 + record[p]!; // compression methods
    const end = p + 2 + record.readUInt16BE(p);
    for (p += 2; p + 4 <= end;) {
      const type = record.readUInt16BE(p);
      const length = record.readUInt16BE(p + 2);
      if (type === 41 || (type === 35 && length > 0)) return true;
      p += 4 + length;
    }
  } catch {
    // A truncated hello offers nothing.
  }
  return false;
}

/** Server contexts by configuration, most recent last. */
const serverContexts = new Map<string, tls.SecureContext>();
const MAX_SERVER_CONTEXTS = 64;

/**
 * One TLS context per configuration, as an MTA has one for its life: its
 * session tickets are then valid on the next connection, so a client can
 * resume a session (as with Postfix, Exim or OpenSMTPD).
 */
function serverContext(options: TlsUpgradeOptions): tls.SecureContext {
  const key = JSON.stringify([options.key, options.cert, options.minVersion, options.maxVersion, options.ciphers]);
  let ctx = serverContexts.get(key);
  if (!ctx) {
    ctx = tls.createSecureContext({
      key: options.key,
      cert: options.cert,
      minVersion: options.minVersion,
      maxVersion: options.maxVersion,
      ciphers: options.ciphers,
    });
    if (serverContexts.size >= MAX_SERVER_CONTEXTS) serverContexts.delete(serverContexts.keys().next().value!);
  }
  serverContexts.delete(key);
  serverContexts.set(key, ctx);
  return ctx;
}

/** Thrown by `send()` once the connection is gone; ends the script quietly. */
export class ConnectionClosedError extends Error {
  constructor(detail?: string) {
    super(detail ? `Connection closed: ${detail}` : 'Connection closed');
    this.name = 'ConnectionClosedError';
  }
}

export interface ScriptedConnection {
  readonly log: ConnectionLog;
  readonly closed: boolean;
  /** TLS is up (after a successful `upgradeTls()`). */
  readonly secure: boolean;
  /** Writes raw bytes; the caller supplies every CR LF. Rejects with ConnectionClosedError once closed. */
  send(data: string | Buffer): Promise<void>;
  /** Writes `data` in pieces of `chunkBytes` with `delayMs` between them (slow greetings, partial lines). */
  sendSlowly(data: string | Buffer, pace: { chunkBytes: number; delayMs: number }): Promise<void>;
  /** The next client line without CR LF; null once the client closed and every line was read. */
  readLine(): Promise<string | null>;
  /** True when the client sent nothing during `ms` and nothing was left unread before; detects early talkers. */
  quietFor(ms: number): Promise<boolean>;
  /** Waits `ms`, or less if the connection closes: scripts use this, never a bare setTimeout, so close() never waits on them. */
  sleep(ms: number): Promise<void>;
  /**
   * Server-side TLS on this socket (after the script sent its STARTTLS 220).
   * Plaintext the client sent behind STARTTLS is discarded and logged.
   * Resolves false when the handshake fails (the connection is then closed).
   */
  upgradeTls(options: TlsUpgradeOptions): Promise<boolean>;
  /** Graceful close (FIN), destroying the socket if the client does not close within a second. */
  end(): Promise<void>;
  /**
   * Abortive close: a TCP RST, sent once an in-process client has had a poll
   * phase to read what was written before, so it sees ECONNRESET, not EOF.
   */
  reset(): Promise<void>;
  waitClosed(): Promise<void>;
}

export type ConnectionScript = (conn: ScriptedConnection) => Promise<void>;

export interface ScriptedServer {
  readonly host: string;
  readonly port: number;
  /** One log per accepted connection, in accept order. */
  readonly connections: ConnectionLog[];
  /** Closes the listener, destroys every connection and waits for every script to finish. */
  close(): Promise<void>;
}

/** A scripted server not yet listening, e.g. for `listenAll()`. */
export interface UnlistenedScriptedServer {
  readonly server: net.Server;
  readonly connections: ConnectionLog[];
  close(): Promise<void>;
}

export function createScriptedServer(
  script: ConnectionScript,
  options: { allowHalfOpen?: boolean } = {},
): UnlistenedScriptedServer {
  const connections: ConnectionLog[] = [];
  const live = new Set<Connection>();
  const running = new Set<Promise<void>>();
  const server = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    const log = new ConnectionLog(connections.length + 1, socket.remoteAddress ?? '', socket.remotePort ?? 0);
    connections.push(log);
    const conn = new Connection(socket, log);
    live.add(conn);
    const run = runScript(script, conn).finally(() => {
      live.delete(conn);
      running.delete(run);
    });
    running.add(run);
  });
  return {
    server,
    connections,
    close: async () => {
      const closing = closeServer(server);
      for (const conn of live) conn.destroy();
      await Promise.allSettled([...running]);
      await closing;
    },
  };
}

export async function startScriptedServer(options: {
  host?: string;
  port?: number;
  script: ConnectionScript;
  /**
   * Keep the server's side open after the client's FIN, as a server that
   * finishes its own shutdown does (TLS close_notify, then reading the
   * peer's): what it still sends then meets a reset from a client that
   * dropped the connection instead of closing it.
   */
  allowHalfOpen?: boolean;
}): Promise<ScriptedServer> {
  const host = options.host ?? '127.0.0.1';
  const peer = createScriptedServer(options.script, { allowHalfOpen: options.allowHalfOpen ?? false });
  const port = await listen(peer.server, host, options.port ?? 0);
  return { host, port, connections: peer.connections, close: peer.close };
}

async function runScript(script: ConnectionScript, conn: Connection): Promise<void> {
  try {
    await script(conn);
  } catch (err) {
    // The client leaving mid-script is normal; anything else is a bug in the peer worth seeing in assertions.
    if (!(err instanceof ConnectionClosedError)) conn.log.error = `Script failed: ${(err as Error).stack ?? err}`;
  } finally {
    await conn.end();
  }
}

class Connection implements ScriptedConnection {
  private socket: net.Socket;
  private readonly input = new LineBuffer();
  private readonly unread: string[] = [];
  /** Set after a STARTTLS line: reading stops until the script upgrades or reads on. */
  private startTlsPending = false;
  /** Plaintext lines that followed STARTTLS, kept apart until the script decides. */
  private readonly afterStartTls: string[] = [];
  private readonly wakers = new Set<() => void>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private isClosed = false;
  private isSecure = false;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    private readonly raw: net.Socket,
    readonly log: ConnectionLog,
  ) {
    this.socket = raw;
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    // Every write must leave at once: sendSlowly() and split replies are the point of this server.
    raw.setNoDelay(true);
    raw.on('data', this.onData);
    raw.on('error', this.onError);
    raw.on('close', this.onClose);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get secure(): boolean {
    return this.isSecure;
  }

  send(data: string | Buffer): Promise<void> {
    const socket = this.socket;
    if (this.isClosed || socket.destroyed || !socket.writable) return Promise.reject(new ConnectionClosedError());
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.log.serverWrite(bytes.toString('utf8'), this.isSecure);
    return new Promise((resolve, reject) => {
      socket.write(bytes, (err) => (err ? reject(new ConnectionClosedError(err.message)) : resolve()));
    });
  }

  async sendSlowly(data: string | Buffer, pace: { chunkBytes: number; delayMs: number }): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let offset = 0; offset < bytes.length; offset += pace.chunkBytes) {
      if (offset > 0) await this.sleep(pace.delayMs);
      await this.send(bytes.subarray(offset, offset + pace.chunkBytes));
    }
  }

  async readLine(): Promise<string | null> {
    this.continuePlaintext();
    for (;;) {
      const line = this.unread.shift();
      if (line !== undefined) return line;
      if (this.isClosed) return null;
      await this.waitForInput();
    }
  }

  async quietFor(ms: number): Promise<boolean> {
    if (this.hasUnreadInput()) return false;
    const before = this.log.bytesReceived;
    await this.waitForInput(ms);
    return this.log.bytesReceived === before;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed) return resolve();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  async upgradeTls(options: TlsUpgradeOptions): Promise<boolean> {
    if (this.isSecure || this.isClosed) return false;
    this.raw.off('data', this.onData);
    this.raw.pause();
    this.discardPlaintext();
    if (options.refuseResumption) {
      const hello = await this.firstRecord();
      if (hello === null) return false;
      if (offersResumption(hello)) {
        // What a server broken on resumption does: a fatal handshake_failure alert, then the close.
        this.log.tlsError = 'refused a ClientHello offering to resume a session';
        this.raw.end(HANDSHAKE_FAILURE_ALERT);
        return false;
      }
      this.raw.unshift(hello);
    }
    const secureSocket = new tls.TLSSocket(this.raw, {
      isServer: true,
      secureContext: serverContext(options),
    });
    const outcome = await new Promise<Error | undefined>((resolve) => {
      secureSocket.once('secure', () => resolve(undefined));
      // A standalone server TLSSocket reports handshake failures as '_tlsError' (smtp-server listens the same way).
      secureSocket.once('_tlsError', resolve);
      secureSocket.once('error', resolve);
      secureSocket.once('close', () => resolve(new Error('closed during the TLS handshake')));
    });
    if (outcome) {
      this.log.tlsError = outcome.message;
      secureSocket.on('error', () => undefined);
      secureSocket.destroy();
      this.raw.destroy();
      return false;
    }
    this.socket = secureSocket;
    this.isSecure = true;
    this.log.tls = {
      protocol: secureSocket.getProtocol() ?? '',
      cipher: secureSocket.getCipher().name,
      resumed: secureSocket.isSessionReused(),
    };
    secureSocket.on('data', this.onData);
    secureSocket.on('error', this.onError);
    secureSocket.on('close', this.onClose);
    return true;
  }

  async end(): Promise<void> {
    if (this.isClosed) return;
    this.socket.end();
    await Promise.race([this.closedPromise, this.sleep(END_GRACE_MS)]);
    this.destroy();
  }

  async reset(): Promise<void> {
    // libuv turns data and an RST that arrive in the same poll into a plain EOF
    // (after a partial read it takes POLLHUP as end of stream without reading
    // the error), so a client would log "closed" instead of a reset. On
    // loopback the bytes are in the client's receive queue once write()
    // returns; letting this event loop (the client's, in tests) run its poll
    // phase first means the client reads them, then meets the RST alone.
    for (let turn = 0; turn < LOOP_TURNS_BEFORE_RESET && !this.isClosed; turn++) await nextLoopTurn();
    if (this.isClosed) return;
    // An RST needs the TCP handle, which stays the raw socket's under TLS.
    this.raw.resetAndDestroy();
  }

  waitClosed(): Promise<void> {
    return this.closedPromise;
  }

  /** Immediate teardown (server close). */
  destroy(): void {
    // Destroy the topmost socket: tearing TLS down from below can crash Node mid-handshake.
    this.socket.destroy();
    this.raw.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.log.clientRead(chunk.length);
    this.input.push(chunk);
    this.parseLines();
    this.wake();
  };

  private readonly onError = (err: Error): void => {
    // Resets by the client are client behaviour (the close tells); other errors are worth a look.
    if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET' && (err as NodeJS.ErrnoException).code !== 'EPIPE') {
      this.log.error ??= `Socket error: ${err.message}`;
    } else this.log.clientReset = true;
  };

  private readonly onClose = (): void => {
    if (this.isClosed) return;
    this.isClosed = true;
    this.log.closed();
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
    this.wake();
    this.resolveClosed();
  };

  private parseLines(): void {
    for (;;) {
      // A ClientHello right behind STARTTLS is not a line; it waits for upgradeTls().
      if (this.startTlsPending && this.input.peek() === TLS_HANDSHAKE_RECORD) return;
      const line = this.input.next();
      if (line === null) return;
      this.log.clientLine(line, this.isSecure);
      if (this.startTlsPending) {
        this.afterStartTls.push(line);
      } else {
        this.unread.push(line);
        if (!this.isSecure && STARTTLS_COMMAND.test(line)) {
          // Stop reading until the script decides: what follows may be a TLS handshake.
          this.startTlsPending = true;
          this.raw.pause();
        }
      }
    }
  }

  /** The script read on instead of upgrading (e.g. it refused STARTTLS): lines behind STARTTLS are ordinary input. */
  private continuePlaintext(): void {
    if (!this.startTlsPending || this.isSecure) return;
    this.startTlsPending = false;
    this.unread.push(...this.afterStartTls.splice(0));
    this.raw.resume();
    this.parseLines();
  }

  /**
   * RFC 3207 §5 (and CVE-2011-0411): nothing received in plaintext may be
   * answered inside TLS. Unread lines and lines behind STARTTLS are dropped
   * and logged; a TLS record that raced ahead goes back to the socket.
   */
  private discardPlaintext(): void {
    const rest = this.input.take();
    const dropped = [...this.unread.splice(0), ...this.afterStartTls.splice(0)];
    if (rest[0] === TLS_HANDSHAKE_RECORD) this.raw.unshift(rest);
    else if (rest.length > 0) dropped.push(rest.toString('utf8'));
    this.log.discardedBeforeTls.push(...dropped);
    this.startTlsPending = false;
  }

  /** The client's first TLS record (its ClientHello), read whole; null if the client went away first. */
  private async firstRecord(): Promise<Buffer | null> {
    let record = Buffer.alloc(0);
    for (;;) {
      const chunk = this.raw.read() as Buffer | null;
      if (chunk !== null) record = Buffer.concat([record, chunk]);
      if (record.length >= 5 && record.length >= 5 + record.readUInt16BE(3)) return record;
      if (this.isClosed || this.raw.destroyed || this.raw.readableEnded) return null;
      if (chunk === null) {
        await new Promise<void>((resolve) => {
          const done = () => {
            this.raw.off('readable', done);
            this.raw.off('close', done);
            resolve();
          };
          this.raw.once('readable', done);
          this.raw.once('close', done);
        });
      }
    }
  }

  private hasUnreadInput(): boolean {
    return this.unread.length > 0 || this.afterStartTls.length > 0 || this.input.size > 0;
  }

  /** Resolves on the next input or close, or after `timeoutMs`. */
  private waitForInput(timeoutMs?: number): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        this.wakers.delete(done);
        if (timer) {
          clearTimeout(timer);
          this.timers.delete(timer);
        }
        resolve();
      };
      this.wakers.add(done);
      if (timeoutMs !== undefined) {
        timer = setTimeout(done, timeoutMs);
        this.timers.set(timer, done);
      }
    });
  }

  private wake(): void {
    for (const waker of [...this.wakers]) waker();
  }
}
