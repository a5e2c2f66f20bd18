/**
 * One SMTP connection: a socket, a reply parser and a transcript. It knows
 * how to send command lines and hand out replies in order, how to upgrade to
 * TLS after STARTTLS, and how to fail: every failure (timeout, close, reset,
 * limit, malformed reply) becomes a sticky ProbeError that rejects the
 * pending and all later reads. The dialogue lives in probe-endpoint.ts.
 */
import net from 'node:net';
import tls from 'node:tls';
import { constants as cryptoConstants } from 'node:crypto';
import type { Phase, ProbeError, ProbeErrorCode, Reply, TlsInfo } from '../../model/observation.js';
import { CheckerError } from '../../model/errors.js';
import { CLOSE_GRACE_MS, MAX_ENDPOINT_BYTES } from '../../model/limits.js';
import { ReplyParser, type ParseResult } from './reply-parser.js';
import { toWire } from './commands.js';
import type { Transcript } from './transcript.js';
import { describeTls, resumedTls } from '../tls/describe-tls.js';
import type { TlsSessions } from '../tls/tls-sessions.js';
import { tlsErrorMessage } from '../tls/tls-error-message.js';

/**
 * Thrown inside the dialogue to unwind it; carries the ProbeError to record.
 * Never leaves the endpoint probe: the ProbeError is data in the observation.
 */
export class ProbeAbort extends CheckerError {
  constructor(readonly error: ProbeError) {
    super('probe.aborted', error.message, { phase: error.phase });
  }
}

const UNREACHABLE = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Opportunistic STARTTLS as a sending MTA does it: any certificate is
 * accepted (we only record it), and old servers must still negotiate so that
 * TLS 1.0/1.1, legacy renegotiation and small DH groups get *reported*
 * instead of looking like "no TLS".
 */
const OPPORTUNISTIC_TLS: tls.ConnectionOptions = {
  rejectUnauthorized: false,
  minVersion: 'TLSv1',
  ciphers: 'DEFAULT:@SECLEVEL=0',
  minDHSize: 1,
  secureOptions: cryptoConstants.SSL_OP_LEGACY_SERVER_CONNECT,
  // The hostname is judged by the tls_quality rule from the recorded certificate;
  // here we only want the chain verdict from the handshake.
  checkServerIdentity: () => undefined,
};

/**
 * Building a context parses every root of the trust store (hundreds of PEM
 * certificates): do it once per trust store, not once per handshake.
 */
const contexts = new WeakMap<string[], tls.SecureContext>();
function secureContextFor(ca: string[]): tls.SecureContext {
  let ctx = contexts.get(ca);
  if (!ctx) {
    ctx = tls.createSecureContext({
      ca,
      ciphers: OPPORTUNISTIC_TLS.ciphers!,
      minVersion: OPPORTUNISTIC_TLS.minVersion!,
      secureOptions: OPPORTUNISTIC_TLS.secureOptions!,
    });
    contexts.set(ca, ctx);
  }
  return ctx;
}

export interface ConnectTarget {
  address: string;
  family: 4 | 6;
  port: number;
  /** This machine's address (of the same family) to leave from; the system chooses when absent. */
  localAddress?: string | undefined;
}

export class SmtpConnection {
  /** The dialogue sets this so failures name the step they happened in. */
  phase: Phase = 'connect';
  bytesReceived = 0;
  /** The server answered QUIT with 221: the dialogue ended normally, so close() may close gracefully. */
  quitAnswered = false;

  private socket: net.Socket;
  private parser = new ReplyParser();
  private readonly queue: Reply[] = [];
  private waiter: { resolve: (r: Reply) => void; reject: (e: ProbeAbort) => void } | null = null;
  private failure: ProbeError | null = null;
  /** Stop parsing after the next complete reply (STARTTLS: nothing after its 220 may be read as plaintext). */
  /**
   * Replies still to parse before parsing must stop (a group that ends with
   * STARTTLS: nothing after its 220 may be read as plaintext); null when
   * not holding back.
   */
  private stopAfter: number | null = null;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);

  /** The TCP socket under any TLS layer: what the server counts as our connection. */
  private readonly tcp: net.Socket;

  private constructor(
    socket: net.Socket,
    private readonly transcript: Transcript,
  ) {
    this.socket = socket;
    this.tcp = socket;
    this.attach(socket);
  }

  /** Open the TCP connection; rejects with ProbeAbort (phase connect) on failure or abort. */
  static open(target: ConnectTarget, transcript: Transcript, signal: AbortSignal): Promise<SmtpConnection> {
    return new Promise((resolve, reject) => {
      const from = target.localAddress;
      const socket = net.connect({
        host: target.address,
        port: target.port,
        family: target.family,
        noDelay: true,
        ...(from === undefined ? {} : { localAddress: from }),
      });
      const cleanup = () => {
        socket.off('connect', onConnect);
        socket.off('error', onError);
        signal.removeEventListener('abort', onAbort);
      };
      const fail = (code: ProbeErrorCode, message: string) => {
        cleanup();
        socket.destroy();
        transcript.event(message);
        reject(new ProbeAbort({ code, phase: 'connect', message }));
      };
      const onConnect = () => {
        cleanup();
        transcript.event(`connected to ${formatHostPort(target)}${from === undefined ? '' : ` from ${from}`}`);
        resolve(new SmtpConnection(socket, transcript));
      };
      const onError = (err: NodeJS.ErrnoException) => {
        const code = err.code ?? '';
        if (code === 'ECONNREFUSED') fail('connect.refused', `connection refused by ${formatHostPort(target)}`);
        else if (UNREACHABLE.has(code)) fail('connect.unreachable', `no route to ${formatHostPort(target)} (${code})`);
        else fail('connect.error', `could not connect to ${formatHostPort(target)}: ${err.message}`);
      };
      const onAbort = () => fail('connect.timeout', `no answer to the TCP connection within the time budget`);
      if (signal.aborted) return onAbort();
      socket.once('connect', onConnect);
      socket.once('error', onError);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (RESET.has(code)) this.fail('reset', `connection reset by the server (${code})`);
      else this.fail('error', `socket error: ${err.message}`);
    });
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.fail('closed', 'the connection closed'));
  }

  private receive(chunk: Buffer): void {
    if (this.failure) return;
    this.bytesReceived += chunk.length;
    if (this.bytesReceived > MAX_ENDPOINT_BYTES) {
      this.fail('bytes_exceeded', `the server sent more than ${MAX_ENDPOINT_BYTES} bytes`);
      return;
    }
    this.parse(chunk);
  }

  private parse(chunk: Buffer): void {
    const result = this.parser.push(chunk, this.stopAfter === null ? {} : { stopAfterReplies: this.stopAfter });
    this.take(result);
    if (this.stopAfter !== null && result.replies.length > 0) {
      this.stopAfter -= result.replies.length;
      if (this.stopAfter <= 0) {
        // Leave whatever follows in the parser buffer and the socket: it is not ours to read.
        this.stopAfter = null;
        this.socket.pause();
      }
    }
    if (result.fault) this.fail(result.fault.code, result.fault.message);
  }

  private take(result: ParseResult): void {
    for (const line of result.lines) this.transcript.add('S', line);
    for (const reply of result.replies) this.deliver(reply);
  }

  /** The server closed its side: its last line may lack the CRLF (a 421 then FIN); keep it. */
  private onEnd(): void {
    if (!this.failure) this.take(this.parser.finish());
    this.fail('closed', 'the server closed the connection');
  }

  private deliver(reply: Reply): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(reply);
    } else {
      this.queue.push(reply);
    }
  }

  /** Record a failure once; the pending read (and every later one) rejects with it. */
  fail(code: ProbeErrorCode, message: string): void {
    if (this.failure) return;
    this.failure = { code, phase: this.phase, message };
    this.transcript.event(message);
    this.socket.destroy();
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(new ProbeAbort(this.failure));
    }
  }

  /** A TLS session was offered for resumption on this connection (a failed handshake may be the resumption's fault). */
  resumeOffered = false;

  /** Send one or more command lines in a single write (one flight: pipelining when several). */
  send(...commands: string[]): void {
    if (this.failure) throw new ProbeAbort(this.failure);
    for (const c of commands) this.transcript.add('C', c);
    this.socket.write(commands.map(toWire).join(''));
  }

  /** The next reply, in order. */
  read(): Promise<Reply> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(new ProbeAbort(this.failure));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /**
   * Stop parsing after the next `replies` replies, keeping every byte after
   * them unread: call before sending a group that ends with STARTTLS, with
   * the number of commands in it, so that nothing the server sends after its
   * 220 can be taken as a reply (the STARTTLS command-injection class).
   */
  holdAfter(replies: number): void {
    this.stopAfter = replies;
  }

  /** Read the reply to STARTTLS (sent alone) without reading a byte past it. */
  readStartTlsReply(): Promise<Reply> {
    if (this.stopAfter === null) this.stopAfter = 1 + this.queue.length;
    return this.read();
  }

  /** Carry on in plaintext after a STARTTLS refusal: parse what was held back. */
  resumePlaintext(): void {
    this.socket.resume();
    this.parse(Buffer.alloc(0));
  }

  /**
   * Upgrade to TLS after the 220. Any plaintext the server sent after its 220
   * (buffered by the parser or the socket) is dropped unread and counted: an
   * injection there must never be taken as a reply. Returns the TLS facts and
   * the discarded byte count.
   */
  async startTls(
    servername: string | null,
    ca: string[],
    signal: AbortSignal,
    resume?: { sessions: TlsSessions; key: string },
  ): Promise<{ tls: TlsInfo; discarded: number }> {
    // Detach first: reading the socket's buffer with our listener still on would hand an
    // injection sent after the 220 to the parser as if it were a reply.
    const plain = this.socket;
    plain.off('data', this.onData);
    // holdAfter() kept everything after the 220 unparsed, so the parser and the socket hold it all.
    this.queue.length = 0;
    this.stopAfter = null;
    let discarded = this.parser.discard();
    for (let chunk = plain.read(); chunk !== null; chunk = plain.read()) discarded += (chunk as Buffer).length;
    if (discarded > 0) this.transcript.event(`discarded ${discarded} bytes of plaintext sent after the STARTTLS 220`);

    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.on('error', () => undefined); // errors surface on the TLS socket

    const offered = resume?.sessions.get(resume.key) ?? null;
    const onTicket = (ticket: Buffer) => resume?.sessions.ticket(resume.key, ticket);
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const options: tls.ConnectionOptions = {
        ...OPPORTUNISTIC_TLS,
        socket: plain,
        secureContext: secureContextFor(ca),
      };
      if (servername) options.servername = servername;
      if (offered) {
        options.session = offered.session;
        this.resumeOffered = true;
      }
      const s = tls.connect(options);
      // Tickets come after the handshake; listening costs a serialization each, so only a full handshake listens.
      if (resume) s.on('session', onTicket);
      const cleanup = () => {
        s.off('secureConnect', onSecure);
        s.off('error', onError);
        s.off('close', onClose);
        signal.removeEventListener('abort', onAbort);
      };
      const failWith = (code: ProbeErrorCode, message: string) => {
        cleanup();
        s.destroy();
        this.socket = s;
        this.fail(code, message);
        reject(new ProbeAbort(this.failure!));
      };
      const onSecure = () => {
        cleanup();
        resolve(s);
      };
      const onError = (e: Error) => failWith('tls.handshake', `TLS handshake failed: ${tlsErrorMessage(e.message)}`);
      const onClose = () => failWith('tls.handshake', 'TLS handshake failed: the server closed the connection');
      const onAbort = () => failWith('timeout', 'TLS handshake did not finish within the time budget');
      s.once('secureConnect', onSecure);
      s.once('error', onError);
      s.once('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
    });

    this.socket = secure;
    this.parser = new ReplyParser();
    this.attach(secure);
    if (offered && secure.isSessionReused()) {
      secure.off('session', onTicket);
      const info = resumedTls(secure, offered);
      this.transcript.event(
        `TLS established: ${info.version} ${info.cipher} (session resumed; certificate chain as presented at ${info.resumed_from})`,
      );
      return { tls: info, discarded };
    }
    const info = describeTls(secure, servername);
    resume?.sessions.handshake(resume.key, info);
    this.transcript.event(`TLS established: ${info.version} ${info.cipher}`);
    return { tls: info, discarded };
  }

  /**
   * Close if still open; never throws. `graceful` (the server said 221 to
   * QUIT): half-close as a good client does (on TLS, close_notify first),
   * keep reading until the server closes too or CLOSE_GRACE_MS pass, then
   * release: a server never sees a reset from a normal dialogue. Otherwise
   * (a failure, the budget) the connection is dropped at once.
   *
   * Resolves once the TCP socket itself is closed: a connection gate must not
   * hand the address to the next probe before our previous connection is
   * gone (politeness counts connections, not sessions).
   */
  async close(graceful = false): Promise<void> {
    const open = !this.failure;
    if (!this.failure) this.failure = { code: 'closed', phase: this.phase, message: 'closed by the checker' };
    if (graceful && open && !this.tcp.closed) {
      // Our listeners stay on: what still arrives is read (and ignored), so the kernel never answers it with a reset.
      this.socket.resume();
      const serverClosed = new Promise<void>((resolve) => this.tcp.once('close', () => resolve()));
      this.socket.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([serverClosed, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
      clearTimeout(timer);
    }
    this.socket.destroy();
    if (this.tcp.closed) return;
    const closed = new Promise<void>((resolve) => this.tcp.once('close', () => resolve()));
    this.tcp.destroy();
    await closed;
  }
}

export function formatHostPort(t: { address: string; port: number }): string {
  return net.isIPv6(t.address) ? `[${t.address}]:${t.port}` : `${t.address}:${t.port}`;
}
