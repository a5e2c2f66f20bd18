/**
 * Framing: bytes in, SMTP replies out (RFC 5321 §4.2). Knows nothing of
 * commands; the session decides what a reply means.
 *
 * A hostile or broken server is data: faults are returned, never thrown, and
 * memory stays bounded (one partial line of at most MAX_REPLY_LINE_BYTES, plus
 * the lines of the reply being assembled, at most MAX_REPLY_LINES of them).
 */
import { MAX_REPLY_LINE_BYTES, MAX_REPLY_LINES } from '../../model/limits.js';
import type { Reply } from '../../model/observation.js';
import { quoteAtMost } from '../../model/text.js';

export type ParseFaultCode = 'reply.malformed' | 'reply.line_too_long' | 'reply.too_many_lines';

export interface ParseFault {
  code: ParseFaultCode;
  /** Plain words, quoting a short, escaped excerpt of the offending line. */
  message: string;
}

export interface ParseResult {
  /** Complete lines that arrived in this push, decoded, without terminator: the transcript's "S:" lines. */
  lines: string[];
  /** Replies completed in this push. */
  replies: Reply[];
  /** Set once the stream stopped being SMTP; the parser is then dead and repeats it. */
  fault: ParseFault | null;
}

export interface PushOptions {
  /**
   * Stop parsing right after the first reply completed by this push and keep
   * every byte after it buffered, unread: not decoded, not in `lines`. Then
   * `discard()` drops those bytes and says how many there were; a later push
   * would parse them first. Used for STARTTLS: the server's plaintext after its
   * 220 must never be taken as a reply (STARTTLS command-injection class).
   */
  stopAfterReply?: boolean;
  /**
   * The same after this many replies completed by this push (a pipelined
   * group that ends with STARTTLS: the replies before its 220 are ours to
   * read, nothing after it). `stopAfterReply: true` is `stopAfterReplies: 1`.
   */
  stopAfterReplies?: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Code 200-559 (first digit 2-5, second 0-5), then "-", space or end of line. */
const REPLY_LINE = /^([2-5][0-5][0-9])(?:([ -])([\s\S]*))?$/;

/** RFC 3463 status-code at the start of the text: class.subject.detail, then space or end. */
const ENHANCED = /^([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=[ \t]|$)/;

/** How much of an offending line a fault message quotes. */
const EXCERPT_CHARS = 64;

// Not fatal: a stray invalid byte becomes U+FFFD and the line stays readable.
// ignoreBOM keeps a leading U+FEFF as the server sent it.
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export class ReplyParser {
  /** The partial line: room for one max line plus a CR whose LF has not arrived yet. */
  #line = Buffer.allocUnsafe(MAX_REPLY_LINE_BYTES + 1);
  #lineLength = 0;
  /**
   * Bytes not parsed yet because an earlier push stopped after a reply: at most
   * what the caller pushed, and normally dropped at once by `discard()`.
   */
  #unread: Buffer = Buffer.alloc(0);
  /** Lines of the reply being assembled, and their size on the wire (terminators included). */
  #pending: string[] = [];
  #pendingBytes = 0;
  #pendingCode = 0;
  #fault: ParseFault | null = null;

  /** Bytes held that `discard()` would drop: partial line, unread bytes, incomplete reply. */
  get buffered(): number {
    return this.#lineLength + this.#unread.length + this.#pendingBytes;
  }

  /** The fault that killed this parser, if any. */
  get fault(): ParseFault | null {
    return this.#fault;
  }

  push(chunk: Buffer, options: PushOptions = {}): ParseResult {
    const result: ParseResult = { lines: [], replies: [], fault: this.#fault };
    if (this.#fault) return result;

    let data = chunk;
    if (this.#unread.length > 0) {
      data = Buffer.concat([this.#unread, chunk]);
      this.#unread = Buffer.alloc(0);
    }

    let start = 0;
    while (start < data.length) {
      const lf = data.indexOf(LF, start);
      const end = lf === -1 ? data.length : lf;
      if (!this.#append(data, start, end)) return this.#die(result, this.#tooLong());
      if (lf === -1) break;
      start = lf + 1;

      const line = this.#takeLine();
      const fault = this.#acceptLine(line, result);
      if (fault) return this.#die(result, fault);

      const stopAt = options.stopAfterReplies ?? (options.stopAfterReply ? 1 : Infinity);
      if (result.replies.length >= stopAt) {
        this.#unread = Buffer.from(data.subarray(start));
        break;
      }
    }
    return result;
  }

  /**
   * The server closed the connection: a last line it sent without CRLF
   * ("421 4.3.2 Try again later" then FIN) is still its answer, taken when it
   * completes a reply. Anything else left over is dropped.
   */
  finish(): ParseResult {
    const result: ParseResult = { lines: [], replies: [], fault: this.#fault };
    if (this.#fault || this.#lineLength === 0) return result;
    const { bytes } = this.#takeLine();
    // Not a reply line: nothing more will come, so there is no fault to report, only nothing to take.
    const fault = this.#acceptLine({ bytes, wireBytes: bytes.length }, result);
    if (fault) return { lines: result.lines, replies: [], fault: null };
    return result;
  }

  /**
   * Drop the partial line, the unread bytes and the lines of an incomplete
   * reply; return how many bytes that was. A dead parser stays dead.
   */
  discard(): number {
    const dropped = this.buffered;
    this.#lineLength = 0;
    this.#unread = Buffer.alloc(0);
    this.#resetPending();
    return dropped;
  }

  /** Copy data[start, end) into the partial line; false when the line got too long. */
  #append(data: Buffer, start: number, end: number): boolean {
    const room = this.#line.length - this.#lineLength;
    const copied = data.copy(this.#line, this.#lineLength, start, Math.min(end, start + room));
    this.#lineLength += copied;
    if (end - start > copied) return false;
    // A full buffer is still fine only if its last byte is the CR of a CRLF to come.
    return this.#lineLength <= MAX_REPLY_LINE_BYTES || this.#line[this.#lineLength - 1] === CR;
  }

  /** The complete partial line as raw bytes, trailing CR stripped; resets the buffer. */
  #takeLine(): { bytes: Buffer; wireBytes: number } {
    let length = this.#lineLength;
    const wireBytes = length + 1; // the LF
    if (length > 0 && this.#line[length - 1] === CR) length -= 1;
    this.#lineLength = 0;
    return { bytes: this.#line.subarray(0, length), wireBytes };
  }

  #acceptLine(line: { bytes: Buffer; wireBytes: number }, result: ParseResult): ParseFault | null {
    // Decode only now that the whole line is here, so a multi-byte character
    // split across chunks survives.
    const text = decoder.decode(line.bytes);
    result.lines.push(text);

    const match = REPLY_LINE.exec(text);
    if (!match) {
      return {
        code: 'reply.malformed',
        message: `Not an SMTP reply line (expected a code from 200 to 559, then "-", a space or the end of line): ${excerpt(text)}`,
      };
    }
    if (this.#pending.length >= MAX_REPLY_LINES) {
      return {
        code: 'reply.too_many_lines',
        message: `Reply has more than ${MAX_REPLY_LINES} lines; line ${this.#pending.length + 1} is ${excerpt(text)}`,
      };
    }

    // A continuation line with another code is rare but real: keep the first code.
    if (this.#pending.length === 0) this.#pendingCode = Number(match[1]);
    this.#pending.push(text);
    this.#pendingBytes += line.wireBytes;

    if (match[2] !== '-') {
      const first = this.#pending[0] ?? text;
      result.replies.push({
        code: this.#pendingCode,
        enhanced: enhancedCode(this.#pendingCode, first),
        lines: this.#pending,
      });
      this.#resetPending();
    }
    return null;
  }

  #tooLong(): ParseFault {
    const head = decoder.decode(this.#line.subarray(0, Math.min(this.#lineLength, EXCERPT_CHARS * 4)));
    return {
      code: 'reply.line_too_long',
      message: `Reply line longer than ${MAX_REPLY_LINE_BYTES} bytes, starting ${excerpt(head)}`,
    };
  }

  #die(result: ParseResult, fault: ParseFault): ParseResult {
    this.#fault = fault;
    this.#lineLength = 0;
    this.#unread = Buffer.alloc(0);
    this.#resetPending();
    result.fault = fault;
    return result;
  }

  #resetPending(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#pendingCode = 0;
  }
}

/** The RFC 3463 code opening the first line's text, when its class agrees with the reply code. */
export function enhancedCode(code: number, firstLine: string): string | null {
  const match = ENHANCED.exec(firstLine.slice(4));
  if (!match || Number(match[1]) !== Math.floor(code / 100)) return null;
  return match[0];
}

/** A short quotation safe for a message: a hostile line cannot drive a terminal or split a log line. */
function excerpt(text: string): string {
  return quoteAtMost(text, EXCERPT_CHARS);
}
