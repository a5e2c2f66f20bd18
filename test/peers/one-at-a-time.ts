/**
 * One server that serves one connection at a time, as Exim with
 * smtp_accept_max = 1 does: a connection arriving while another is served
 * gets `whenBusy` (a 421 greeting, a close). It listens on every host given,
 * on one port, and counts connections across all of them, so two MX names
 * on two addresses lead to the same limit.
 *
 *   const server = await oneAtATime(['127.0.0.111', '127.0.0.112'], policy, (conn) => conn.send(TOO_MANY));
 *   ... server.greeted (['220', 'busy', '220']); await server.close();
 */
import { leafCertificate } from './certs.js';
import { listen } from './listen.js';
import { recipientVerdict, senderVerdict, type MailPolicy } from './mail-policy.js';
import {
  createScriptedServer,
  reply,
  runDialogue,
  type ConnectionScript,
  type DialoguePolicy,
  type ScriptedConnection,
} from './scripted-smtp.js';

/**
 * A healthy dialogue receiving mail for `localDomains`, with STARTTLS: its
 * certificate (from the test CA) names every MX host of `names`.
 */
export function healthyDialogue(localDomains: string[], names: string[]): DialoguePolicy {
  const policy: MailPolicy = { localDomains };
  const asReply = (v: { code: number; text: string }) => reply(v.code, v.text);
  return {
    hostname: names[0]!,
    extensions: ['PIPELINING', 'SIZE 10240000', 'STARTTLS', 'ENHANCEDSTATUSCODES', '8BITMIME', 'SMTPUTF8'],
    tls: leafCertificate(names),
    mailFrom: (a) => asReply(senderVerdict(a, policy)),
    rcptTo: (a) => asReply(recipientVerdict(a, policy)),
  };
}

export interface OneAtATimeServer {
  port: number;
  /** Greetings given, in order: "220" or "busy". */
  readonly greeted: string[];
  /** Most connections open at once, busy ones included. */
  readonly peakOpen: number;
  close(): Promise<void>;
}

export interface OneAtATimeOptions {
  /**
   * The first connections get `whenBusy` whatever else is open, as at a
   * server kept at its limit by other clients: 1 for a server busy once,
   * Infinity for one that stays busy. Default 0.
   */
  busyFirst?: number;
}

export async function oneAtATime(
  hosts: string[],
  policy: DialoguePolicy,
  whenBusy: (conn: ScriptedConnection) => Promise<void>,
  options: OneAtATimeOptions = {},
): Promise<OneAtATimeServer> {
  let serving = 0;
  let open = 0;
  let peakOpen = 0;
  const greeted: string[] = [];
  const script: ConnectionScript = async (conn) => {
    peakOpen = Math.max(peakOpen, ++open);
    try {
      if (serving > 0 || greeted.length < (options.busyFirst ?? 0)) {
        greeted.push('busy');
        return await whenBusy(conn);
      }
      serving++;
      greeted.push('220');
      try {
        await runDialogue(conn, policy);
      } finally {
        serving--;
      }
    } finally {
      open--;
    }
  };
  const servers = hosts.map((host) => ({ host, peer: createScriptedServer(script) }));
  const port = await listen(servers[0]!.peer.server, hosts[0]!, 0);
  for (const s of servers.slice(1)) await listen(s.peer.server, s.host, port);
  return {
    port,
    greeted,
    get peakOpen() {
      return peakOpen;
    },
    close: async () => void (await Promise.all(servers.map((s) => s.peer.close()))),
  };
}
