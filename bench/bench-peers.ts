/**
 * The loopback world the benchmark runs in: addresses it may use, the SMTP
 * servers it measures against (the test peers), and the delay proxies in
 * front of them. Loopback only; the bench owns 127.0.0.200–127.0.0.239.
 */
import { leafCertificate } from '../test/peers/certs.js';
import { reply, runDialogue, type DialoguePolicy } from '../test/peers/scripted-dialogue.js';
import { startScriptedServer, type ScriptedServer } from '../test/peers/scripted-smtp.js';
import { startOnSamePort } from '../test/peers/listen.js';
import { startDelayProxy, type DelayProxy } from './delay-proxy.js';

/** The bench's addresses: 127.0.0.200 + offset. Each section takes its own slice so nothing collides. */
export function benchAddress(offset: number): string {
  if (offset < 0 || offset > 39) throw new RangeError(`bench address offset ${offset} is outside 127.0.0.200–239`);
  return `127.0.0.${200 + offset}`;
}

/** Where the real servers listen (port 0: any free port); the checker reaches them through proxies. */
export const UPSTREAM_HOST = benchAddress(39);

/** Postfix's EHLO keywords with TLS on, as the test scenarios use. */
export const POSTFIX_EXTENSIONS = [
  'PIPELINING',
  'SIZE 10240000',
  'STARTTLS',
  'ENHANCEDSTATUSCODES',
  '8BITMIME',
  'DSN',
  'SMTPUTF8',
  'CHUNKING',
];

/** RFC 5321 §4.5.1 plus the relay probe: local recipients accepted, others refused, as a sane MX does. */
export function mxPolicy(hostname: string, localDomain: (domain: string) => boolean): DialoguePolicy {
  const { key, cert } = leafCertificate(hostname);
  return {
    hostname,
    extensions: POSTFIX_EXTENSIONS,
    tls: { key, cert },
    rcptTo: (address) => {
      const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
      return localDomain(domain) ? reply(250, '2.1.5 Ok') : reply(554, `5.7.1 <${address}>: Relay access denied`);
    },
  };
}

/** A scripted MX (PIPELINING, STARTTLS) answering for every domain under `suffix`. */
export function startMx(
  host: string,
  port: number,
  options: {
    suffix: string;
    tls?: Partial<NonNullable<DialoguePolicy['tls']>>;
    extensions?: string[];
    greetingDelayMs?: number;
    strictSync?: boolean;
    /** Raw greeting instead of `220 mx.<suffix> ESMTP` (a long multi-line one makes a long transcript). */
    greeting?: string;
  },
): Promise<ScriptedServer> {
  const base = mxPolicy(`mx.${options.suffix}`, (d) => d.endsWith(options.suffix));
  const policy: DialoguePolicy = {
    ...base,
    ...(options.greeting ? { greeting: options.greeting } : {}),
    ...(options.tls ? { tls: { ...base.tls!, ...options.tls } } : {}),
    ...(options.extensions ? { extensions: options.extensions } : {}),
    ...(options.strictSync ? { strictSync: true } : {}),
  };
  return startScriptedServer({
    host,
    port,
    script: async (conn) => {
      if (options.greetingDelayMs) await conn.sleep(options.greetingDelayMs);
      await runDialogue(conn, policy);
    },
  });
}

/** Proxies on one common port (the checker probes one port on every address), each in front of `upstream`. */
export async function startProxies(
  hosts: string[],
  upstream: (i: number) => { host: string; port: number },
  oneWayMs: number,
): Promise<{ port: number; proxies: DelayProxy[] }> {
  const { port, peers } = await startOnSamePort(
    hosts.map((host, i) => (p: number) => startDelayProxy({ host, port: p, upstream: upstream(i), oneWayMs })),
  );
  return { port, proxies: peers };
}
