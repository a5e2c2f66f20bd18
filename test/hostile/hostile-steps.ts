/**
 * The ordinary opening most hostile scripts share before they misbehave: a
 * normal greeting, then the client's EHLO read. Each script then does its
 * one wrong thing.
 */
import type { ScriptedConnection } from '../peers/scripted-smtp.js';
import { reply, type DialoguePolicy } from '../peers/scripted-dialogue.js';
import { leafCertificate } from '../peers/certs.js';

export const HOSTILE_NAME = 'mx.hostile.test';

/** Every extension the rules look for: a hostile case then draws no finding but its own. */
export const FULL_EXTENSIONS = ['PIPELINING', 'STARTTLS', 'ENHANCEDSTATUSCODES', '8BITMIME', 'SMTPUTF8'];

/** An EHLO reply offering STARTTLS, so the dialogue goes on to it. */
export const EHLO_WITH_STARTTLS = reply(250, HOSTILE_NAME, ...FULL_EXTENSIONS);

/** Greets with 220 and reads the client's EHLO; false when the client left instead. */
export async function greetAndReadEhlo(conn: ScriptedConnection): Promise<boolean> {
  await conn.send(reply(220, `${HOSTILE_NAME} ESMTP`));
  return (await conn.readLine()) !== null;
}

/**
 * Greets, answers EHLO with STARTTLS offered, answers what the client sends
 * before STARTTLS (its first transaction, in the same flight) as a
 * well-run server would, and reads the STARTTLS command. On a connection
 * that never says STARTTLS (the plaintext fallback after a failed
 * handshake) it plays the well-run server to the end and resolves false.
 */
export async function upToStartTls(conn: ScriptedConnection): Promise<boolean> {
  if (!(await greetAndReadEhlo(conn))) return false;
  await conn.send(EHLO_WITH_STARTTLS);
  for (;;) {
    const line = await conn.readLine();
    if (line === null) return false;
    const verb = line.split(' ', 1)[0]!.toUpperCase();
    if (verb === 'STARTTLS') return true;
    if (verb === 'QUIT') {
      await conn.send(reply(221, '2.0.0 Bye'));
      return false;
    }
    if (verb === 'RCPT' && /@example\.com>/i.test(line)) await conn.send(reply(554, '5.7.1 Relay access denied'));
    else if (verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET') await conn.send(reply(250, '2.0.0 Ok'));
    else await conn.send(reply(502, '5.5.2 Error: command not recognized'));
  }
}

/** Writes `total` bytes made of `unit`, a write at a time, until done or the client leaves. */
export async function flood(conn: ScriptedConnection, unit: string, total: number, unitsPerWrite = 64): Promise<void> {
  const chunk = Buffer.from(unit.repeat(unitsPerWrite));
  for (let sent = 0; sent < total && !conn.closed; sent += chunk.length) await conn.send(chunk);
}

/**
 * A scripted server that does everything right (STARTTLS with a certificate
 * for `mx`, the extensions the rules look for, every MAIL and RCPT accepted
 * but relaying refused), for cases that break one step of it.
 */
export function wellRunServer(mx: string): DialoguePolicy {
  return {
    hostname: mx,
    extensions: FULL_EXTENSIONS,
    tls: leafCertificate(mx),
    rcptTo: (address) =>
      address.endsWith('@example.com') ? reply(554, '5.7.1 Relay access denied') : reply(250, '2.1.5 Ok'),
  };
}

/** How often `waitForClientHello()` looks at the byte count. */
const POLL_MS = 5;

/**
 * After our STARTTLS 220: resume reading and wait until the client's first
 * TLS bytes (its ClientHello) are in, leaving them unanswered. Whatever the
 * script writes next is then an answer to the ClientHello, not plaintext
 * that raced ahead of it (which the client rightly discards as injected).
 */
export async function waitForClientHello(conn: ScriptedConnection): Promise<void> {
  const before = conn.log.bytesReceived;
  // readLine() resumes the socket the peer paused at STARTTLS; the "line" a ClientHello makes is never answered.
  void conn.readLine();
  while (conn.log.bytesReceived === before && !conn.closed) await conn.sleep(POLL_MS);
}

/** Reads and ignores everything until the client leaves: a peer that stops reading would not see our close. */
export async function ignoreUntilClosed(conn: ScriptedConnection): Promise<void> {
  while ((await conn.readLine()) !== null);
}

/**
 * Up to our STARTTLS 220 and the client's ClientHello, then `answer` in
 * place of a ServerHello (or nothing at all), reading on until the client
 * leaves.
 */
export async function answerClientHello(conn: ScriptedConnection, answer: string | null): Promise<void> {
  if (!(await upToStartTls(conn))) return;
  await conn.send('220 2.0.0 Ready to start TLS\r\n');
  await waitForClientHello(conn);
  if (answer !== null) await conn.send(answer);
  await ignoreUntilClosed(conn);
}
