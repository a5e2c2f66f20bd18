/**
 * What a client did on one connection to a test peer, recorded at the
 * source with timestamps: every line it sent, whether it pipelined, whether
 * it spoke before the greeting was complete. Shared by the scripted server
 * and the smtp-server taps so assertions read the same for both.
 */

/**
 * Longest client line kept whole; a longer one is cut there so a hostile or
 * buggy client cannot grow a buffer without bound. RFC 5321 §4.5.3.1.4
 * allows 512 octets per command line, this is room for far more.
 */
export const MAX_CLIENT_LINE_BYTES = 64 * 1024;

export interface ClientLine {
  /** The line without its line ending. */
  text: string;
  /** Milliseconds since the connection was accepted, when the read carrying the line's end arrived. */
  at: number;
  /** Sent inside TLS. */
  tls: boolean;
  /** Ended in the same read as the previous line: the client wrote both at once. */
  sameRead: boolean;
  /**
   * Arrived while the server still owed a reply to the previous line (it had
   * written nothing since): the client did not wait, it pipelined.
   */
  beforeReply: boolean;
}

export interface TranscriptEntry {
  at: number;
  from: 'client' | 'server';
  tls: boolean;
  /** A client line (no line ending) or exactly what the server wrote in one write. */
  text: string;
}

/** A final reply line (`220 text`, `554`), as opposed to a continuation (`220-text`). */
const FINAL_REPLY_LINE = /(?:^|\n)\d{3}(?: [^\n]*)?\r?\n/;

export class ConnectionLog {
  readonly openedAt = Date.now();
  closedAt: number | undefined;
  readonly lines: ClientLine[] = [];
  readonly transcript: TranscriptEntry[] = [];
  /** Plaintext the client sent behind STARTTLS, discarded unanswered before the handshake (RFC 3207 §5). */
  readonly discardedBeforeTls: string[] = [];
  /** The client sent bytes before the server finished its greeting (its first complete reply). */
  spokeEarly = false;
  bytesReceived = 0;
  /** Negotiated TLS, once a STARTTLS handshake succeeded. */
  /** `resumed`: the client resumed an earlier session (no certificate was sent). */
  tls: { protocol: string; cipher: string; resumed: boolean } | undefined;
  tlsError: string | undefined;
  /** A socket error or a failure of the peer's own script: a broken test peer, not client behaviour. */
  error: string | undefined;
  /** The client reset the connection (ECONNRESET or EPIPE here): a good client never does in a normal dialogue. */
  clientReset = false;

  private reads = 0;
  private lastReadAt = this.openedAt;
  private lastLineRead = -1;
  private serverWroteSinceLine = false;
  private greetingDone = false;
  private greetingSoFar = '';

  constructor(
    readonly id: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}

  /** Every client line, in order. */
  get commands(): string[] {
    return this.lines.map((line) => line.text);
  }

  /** The client sent DATA (or BDAT): a probe must never get that far. */
  get sentData(): boolean {
    return this.lines.some((line) => /^(?:DATA\s*$|BDAT\b)/i.test(line.text));
  }

  /** Some line arrived before the reply to the one before it. */
  get pipelined(): boolean {
    return this.lines.some((line) => line.beforeReply);
  }

  /** Call for every read from the client, before its lines. */
  clientRead(bytes: number): void {
    this.reads++;
    this.lastReadAt = Date.now();
    this.bytesReceived += bytes;
    if (!this.greetingDone) this.spokeEarly = true;
  }

  /** Call for every complete line, after the `clientRead()` of the read that ended it. */
  clientLine(text: string, tls: boolean): void {
    const at = this.lastReadAt - this.openedAt;
    const previousExists = this.lines.length > 0;
    this.lines.push({
      text,
      at,
      tls,
      sameRead: previousExists && this.lastLineRead === this.reads,
      beforeReply: previousExists && !this.serverWroteSinceLine,
    });
    this.transcript.push({ at, from: 'client', tls, text });
    this.lastLineRead = this.reads;
    this.serverWroteSinceLine = false;
  }

  /** Call for every server write, before it goes out. */
  serverWrite(text: string, tls: boolean): void {
    this.transcript.push({ at: Date.now() - this.openedAt, from: 'server', tls, text });
    this.serverWroteSinceLine = true;
    if (!this.greetingDone) {
      // A greeting may come in pieces (sent slowly); it is complete with its final line.
      this.greetingSoFar += text;
      if (FINAL_REPLY_LINE.test(this.greetingSoFar)) {
        this.greetingDone = true;
        this.greetingSoFar = '';
      }
    }
  }

  closed(): void {
    this.closedAt ??= Date.now();
  }
}

/** Splits a byte stream into lines ending in LF (CR LF in SMTP; a bare LF is tolerated, as servers do). */
export class LineBuffer {
  private pending: Buffer = Buffer.alloc(0);

  get size(): number {
    return this.pending.length;
  }

  /** The first unread byte, e.g. to spot a TLS record (0x16) where a line was expected. */
  peek(): number | undefined {
    return this.pending[0];
  }

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
  }

  /** The next complete line without CR LF, or null when none is complete. */
  next(): string | null {
    const end = this.pending.indexOf(0x0a);
    if (end < 0) {
      if (this.pending.length < MAX_CLIENT_LINE_BYTES) return null;
      return this.cut(MAX_CLIENT_LINE_BYTES, MAX_CLIENT_LINE_BYTES);
    }
    const textEnd = end > 0 && this.pending[end - 1] === 0x0d ? end - 1 : end;
    return this.cut(textEnd, end + 1);
  }

  /** Everything unread, leaving the buffer empty. */
  take(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest;
  }

  private cut(textEnd: number, consumed: number): string {
    const text = this.pending.subarray(0, textEnd).toString('utf8');
    this.pending = this.pending.subarray(consumed);
    return text;
  }
}
