/**
 * The common loop of scripted scenarios: greet, answer EHLO with a given
 * extension list, answer MAIL/RCPT by a policy, RSET/NOOP/QUIT as any MTA.
 * Scenarios change one thing (the EHLO reply, the STARTTLS reply, strict
 * command synchronisation) and keep the rest ordinary.
 */
import type { ScriptedConnection, TlsUpgradeOptions } from './scripted-smtp.js';

/**
 * How long a server without PIPELINING watches for a next command before
 * answering the current one. Anything arriving in that window was sent
 * before our reply: the client pipelined. Short, since every command pays it.
 */
export const SYNC_CHECK_MS = 30;

/** A reply with every line but the last as a continuation: `reply(250, 'mx', 'PIPELINING')`. */
export function reply(code: number, ...lines: string[]): string {
  const texts = lines.length > 0 ? lines : [''];
  return texts.map((text, i) => `${code}${i < texts.length - 1 ? '-' : ' '}${text}\r\n`).join('');
}

export interface DialoguePolicy {
  /** The name the server announces in its greeting and EHLO reply. */
  hostname: string;
  /** Raw greeting; `false` when the script greeted already. Default `220 <hostname> ESMTP`. */
  greeting?: string | false;
  /** EHLO keywords in plaintext, verbatim: `['PIPELINING', 'SIZE 10240000', 'STARTTLS']`. */
  extensions?: string[];
  /** EHLO keywords inside TLS; default `extensions` without STARTTLS. */
  extensionsAfterTls?: string[];
  /** Raw reply to EHLO instead of the extension list, e.g. a 502 refusal. */
  ehloReply?: string;
  /** Accept STARTTLS with these credentials (advertise it through `extensions`). */
  tls?: TlsUpgradeOptions & {
    /** Raw bytes written right after the 220, in the same write, before the handshake (injection tests). */
    injectAfterReady?: string;
  };
  /** Raw reply to `MAIL FROM:<address>`; default 250 2.1.0 Ok. `session.secure`: inside TLS. */
  mailFrom?: (address: string, session: { secure: boolean }) => string;
  /** Raw reply to `RCPT TO:<address>`; default 250 2.1.5 Ok. */
  rcptTo?: (address: string, session: { secure: boolean }) => string;
  /** Fail (554 5.5.0 and close) a client sending a command before the reply to the previous one. */
  strictSync?: boolean;
  /**
   * Milliseconds to keep the connection after the 221 before closing it (on
   * TLS, then close_notify): a client that drops the connection at once
   * meets these bytes with a reset.
   */
  lingerAfterQuitMs?: number;
  /**
   * Bytes sent after that pause, as a TLS server's close_notify is (here in
   * plaintext too, so the case is testable without TLS): a client that has
   * already dropped the connection answers them with a reset.
   */
  afterQuit?: string;
  /** Milliseconds to wait before answering a command line (an error sleep, a tarpit); default none. */
  replyDelayMs?: (line: string) => number;
}

const ADDRESS_COMMAND = /^(?:MAIL\s+FROM|RCPT\s+TO):\s*<([^<>]*)>/i;

/** Runs the dialogue until QUIT or the client leaves. */
export async function runDialogue(conn: ScriptedConnection, policy: DialoguePolicy): Promise<void> {
  const greeting = policy.greeting ?? reply(220, `${policy.hostname} ESMTP`);
  if (greeting !== false) await conn.send(greeting);
  let greeted = false; // HELO/EHLO done (again after TLS)
  let inTransaction = false;

  for (;;) {
    const line = await conn.readLine();
    if (line === null) return;
    const delay = policy.replyDelayMs?.(line) ?? 0;
    if (delay > 0) await conn.sleep(delay);
    if (policy.strictSync && !(await conn.quietFor(SYNC_CHECK_MS))) {
      await conn.send(reply(554, '5.5.0 Error: SMTP protocol synchronization'));
      return;
    }
    const verb = (line.split(' ', 1)[0] ?? '').toUpperCase();
    switch (verb) {
      case 'EHLO': {
        if (policy.ehloReply !== undefined) {
          await conn.send(policy.ehloReply);
          break;
        }
        greeted = true;
        inTransaction = false;
        const keywords = conn.secure
          ? (policy.extensionsAfterTls ?? (policy.extensions ?? []).filter((k) => k.toUpperCase() !== 'STARTTLS'))
          : (policy.extensions ?? []);
        await conn.send(reply(250, policy.hostname, ...keywords));
        break;
      }
      case 'HELO':
        greeted = true;
        inTransaction = false;
        await conn.send(reply(250, policy.hostname));
        break;
      case 'STARTTLS': {
        if (!policy.tls || conn.secure) {
          await conn.send(reply(502, '5.5.1 Error: command not implemented'));
          break;
        }
        const { injectAfterReady = '', ...tlsOptions } = policy.tls;
        await conn.send(reply(220, '2.0.0 Ready to start TLS') + injectAfterReady);
        if (!(await conn.upgradeTls(tlsOptions))) return;
        // RFC 3207 §4.2: everything learned before TLS is forgotten; the client must EHLO again.
        greeted = false;
        inTransaction = false;
        break;
      }
      case 'MAIL':
      case 'RCPT': {
        const address = ADDRESS_COMMAND.exec(line)?.[1];
        if (!greeted) await conn.send(reply(503, '5.5.1 Error: send HELO/EHLO first'));
        else if (address === undefined) await conn.send(reply(501, '5.5.4 Syntax error in parameters'));
        else if (verb === 'MAIL' && inTransaction) await conn.send(reply(503, '5.5.1 Error: nested MAIL command'));
        else if (verb === 'RCPT' && !inTransaction) await conn.send(reply(503, '5.5.1 Error: need MAIL command'));
        else if (verb === 'MAIL') {
          const answer = policy.mailFrom?.(address, { secure: conn.secure }) ?? reply(250, '2.1.0 Ok');
          inTransaction = answer.startsWith('2');
          await conn.send(answer);
        } else {
          await conn.send(policy.rcptTo?.(address, { secure: conn.secure }) ?? reply(250, '2.1.5 Ok'));
        }
        break;
      }
      case 'RSET':
        inTransaction = false;
        await conn.send(reply(250, '2.0.0 Ok'));
        break;
      case 'NOOP':
        await conn.send(reply(250, '2.0.0 Ok'));
        break;
      case 'DATA':
        // Probes stop at RCPT; a DATA here is a client bug, refused and logged.
        await conn.send(reply(554, '5.5.1 Error: DATA is not accepted by this test peer'));
        break;
      case 'QUIT':
        await conn.send(reply(221, '2.0.0 Bye'));
        if (policy.lingerAfterQuitMs) await conn.sleep(policy.lingerAfterQuitMs);
        if (policy.afterQuit !== undefined) {
          await conn.send(policy.afterQuit).catch(() => undefined);
          // A reset that came back shows on the next write (EPIPE).
          await conn.sleep(20);
          await conn.send(policy.afterQuit).catch(() => undefined);
          await conn.sleep(20);
        }
        return;
      default:
        await conn.send(reply(502, '5.5.2 Error: command not recognized'));
    }
  }
}
