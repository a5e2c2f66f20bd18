/**
 * A deliberately plain SMTP client over node:net/tls, for the peers' own
 * tests: it sends exactly what the test says, when it says, so the peers'
 * recording and policies can be checked without the checker's client.
 */
import net from 'node:net';
import tls from 'node:tls';

/** Upper bound on any wait in the peers' tests: a broken peer fails the test instead of hanging it. */
export const CLIENT_WAIT_MS = 3000;

export interface Reply {
  code: number;
  /** Text of each line after the code and separator. */
  lines: string[];
}

export class RawClient {
  /** Everything received, plaintext and decrypted. */
  received = '';
  /** Plaintext still unread when TLS started (what a STARTTLS injection leaves behind). */
  discardedOnTls = '';
  private buffer = '';
  private closed = false;
  private wake: (() => void) | undefined;

  private constructor(private socket: net.Socket) {
    this.listen(socket);
  }

  static connect(host: string, port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get tlsSocket(): tls.TLSSocket | undefined {
    return this.socket instanceof tls.TLSSocket ? this.socket : undefined;
  }

  /** Writes raw text (caller supplies CR LF). */
  send(text: string): void {
    this.socket.write(text);
  }

  /** Sends one command line and reads its reply. */
  async command(line: string): Promise<Reply> {
    this.send(`${line}\r\n`);
    return this.readReply();
  }

  /** The next complete (possibly multi-line) reply. */
  async readReply(timeoutMs = CLIENT_WAIT_MS): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    const lines: string[] = [];
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        lines.push(line.slice(4));
        if (line[3] !== '-') return { code: Number(line.slice(0, 3)), lines };
        continue;
      }
      if (this.closed) throw new Error(`Connection closed while reading a reply; got ${JSON.stringify(this.buffer)}`);
      await this.waitForData(deadline - Date.now());
      if (Date.now() >= deadline)
        throw new Error(`No complete reply in ${timeoutMs} ms; got ${JSON.stringify(this.buffer)}`);
    }
  }

  /** Resolves true if the server closes the connection within `timeoutMs`. */
  async waitClosed(timeoutMs = CLIENT_WAIT_MS): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.waitForData(deadline - Date.now());
    return this.closed;
  }

  /** Client-side TLS on the connection (after the server's STARTTLS 220). */
  async startTls(options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    this.discardedOnTls = this.buffer;
    this.buffer = '';
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false, ...options });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
    return secure;
  }

  close(): void {
    this.socket.destroy();
  }

  private listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.received += text;
      this.buffer += text;
      this.wake?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  private waitForData(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(ms, 0));
      this.wake = done;
    });
  }
}
