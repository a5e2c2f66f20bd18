/**
 * One factory per MX behaviour the integration tests need. Each starts a
 * real SMTP server on the given loopback host and port and returns a peer
 * that records what the client did. Realistic servers are the npm
 * `smtp-server`; byte-exact misbehaviour is the scripted server.
 *
 *   const mx = await scenarios.greylisting({ host: '127.0.0.2', port: 0, domain: 'example.test' });
 *   ... run the checker against mx.port ...
 *   assert.equal(mx.sentData, false);
 *   await mx.close();
 */
import type { SMTPServerOptions } from 'smtp-server';
import { leafCertificate } from './certs.js';
import type { ClientLine, ConnectionLog } from './connection-log.js';
import { type MailPolicy, recipientVerdict, senderVerdict } from './mail-policy.js';
import { type DialoguePolicy, reply, runDialogue } from './scripted-dialogue.js';
import { type ConnectionScript, type ScriptedConnection, startScriptedServer } from './scripted-smtp.js';
import { startSmtpServerPeer } from './smtp-server-peer.js';

export interface ScenarioOptions {
  /** Loopback address to listen on: 127.0.0.0/8 or ::1. */
  host: string;
  /** 0 picks a free port; see startOnSamePort() for one port on several hosts. */
  port: number;
  /** The tested domain: its recipients (postmaster@ included) are local. */
  domain: string;
  /** The name the server greets with and its certificate carries; default `mx.<domain>`. */
  mxName?: string;
  /** Further local domains. */
  localDomains?: string[];
}

/** What a scenario's client did, across all its connections. */
export interface ScenarioPeer {
  readonly scenario: ScenarioName;
  readonly host: string;
  readonly port: number;
  readonly connections: readonly ConnectionLog[];
  /** Every line the client sent, all connections, in order. */
  readonly commands: string[];
  /** Lines the client sent inside TLS. */
  readonly commandsAfterTls: string[];
  /** The client sent DATA (a probe must stop at RCPT). */
  readonly sentData: boolean;
  /** The client sent a command before the reply to the previous one. */
  readonly pipelined: boolean;
  /** The client sent something before the greeting was complete. */
  readonly spokeEarly: boolean;
  close(): Promise<void>;
}

/** Postfix's EHLO keywords out of the box (TLS enabled): what a well-run MX advertises. */
const POSTFIX_EXTENSIONS = [
  'PIPELINING',
  'SIZE 10240000',
  'STARTTLS',
  'ENHANCEDSTATUSCODES',
  '8BITMIME',
  'DSN',
  'SMTPUTF8',
  'CHUNKING',
];
/** Message size limit advertised by the smtp-server scenarios (Postfix's default). */
const MESSAGE_SIZE_LIMIT = 10_240_000;
/** Pause between the lines of the slow greeting: long enough for an impatient client to talk, short for tests. */
const SLOW_GREETING_PAUSE_MS = 100;
/** Pace of the slow greeting's lines: partial lines reach the client, as from a congested server. */
const SLOW_GREETING_PACE = { chunkBytes: 6, delayMs: 5 };

export type ScenarioName =
  | 'healthy'
  | 'noStartTls'
  | 'authBeforeTls'
  | 'openRelay'
  | 'nullSenderRefused'
  | 'postmasterRefused'
  | 'greylisting'
  | 'ehloRefused'
  | 'greeting554'
  | 'greeting421'
  | 'slowGreeting'
  | 'silent'
  | 'noPipelining'
  | 'starttlsInjection'
  | 'tls10Only'
  | 'maskedGreeting'
  | 'authChallengeBeforeTls'
  | 'weakCertificate'
  | 'tlsNoSharedCipher';

export type ScenarioFactory = (options: ScenarioOptions) => Promise<ScenarioPeer>;

export const scenarios: Record<ScenarioName, ScenarioFactory> = {
  /** STARTTLS (CA-signed certificate for the MX name), PIPELINING, postmaster and <> accepted, relaying refused. */
  healthy: (options: ScenarioOptions) => smtpServerScenario('healthy', options, {}),
  /** No STARTTLS advertised or accepted. */
  noStartTls: (options: ScenarioOptions) =>
    smtpServerScenario('noStartTls', options, {}, { hideSTARTTLS: true, disabledCommands: ['AUTH', 'STARTTLS'] }),
  /** AUTH PLAIN LOGIN advertised (and usable) in plaintext, before STARTTLS. */
  authBeforeTls: (options: ScenarioOptions) =>
    smtpServerScenario(
      'authBeforeTls',
      options,
      {},
      {
        disabledCommands: [],
        authMethods: ['PLAIN', 'LOGIN'],
        allowInsecureAuth: true,
        onAuth: (_auth, _session, callback) => callback(smtpError(535, '5.7.8 Authentication failed')),
      },
    ),
  /** AUTH CRAM-MD5 alone advertised (and usable) in plaintext: a login before TLS, but no clear-text password. */
  authChallengeBeforeTls: (options: ScenarioOptions) =>
    smtpServerScenario(
      'authChallengeBeforeTls',
      options,
      {},
      {
        disabledCommands: [],
        authMethods: ['CRAM-MD5'],
        allowInsecureAuth: true,
        onAuth: (_auth, _session, callback) => callback(smtpError(535, '5.7.8 Authentication failed')),
      },
    ),
  /** Every recipient accepted: an open relay. */
  openRelay: (options: ScenarioOptions) => smtpServerScenario('openRelay', options, { openRelay: true }),
  /** `MAIL FROM:<>` refused with 550. */
  nullSenderRefused: (options: ScenarioOptions) =>
    smtpServerScenario('nullSenderRefused', options, { refuseNullSender: true }),
  /** postmaster@<domain> refused with 550 5.1.1 at RCPT. */
  postmasterRefused: (options: ScenarioOptions) =>
    smtpServerScenario('postmasterRefused', options, { refusePostmaster: true }),
  /** 450 4.2.0 at RCPT for every recipient. */
  greylisting: (options: ScenarioOptions) => smtpServerScenario('greylisting', options, { greylist: true }),

  /** EHLO refused with 502, HELO accepted (an ancient or stripped-down MTA). */
  ehloRefused: (options: ScenarioOptions) =>
    scriptedScenario('ehloRefused', options, (conn, mx, policy) =>
      runDialogue(conn, {
        ...dialoguePolicy(mx, policy),
        ehloReply: reply(502, '5.5.2 Error: command not recognized'),
      }),
    ),
  /** Greets with 554 (RFC 5321 §3.1: no service), then only QUIT gets a 221. */
  greeting554: (options: ScenarioOptions) =>
    scriptedScenario('greeting554', options, async (conn, mx) => {
      await conn.send(reply(554, `5.3.2 ${mx} No SMTP service here`));
      for (let line = await conn.readLine(); line !== null; line = await conn.readLine()) {
        if (/^QUIT\s*$/i.test(line)) {
          await conn.send(reply(221, '2.0.0 Bye'));
          return;
        }
        await conn.send(reply(503, '5.5.1 Error: no SMTP service here'));
      }
    }),
  /** Greets with 421 and closes (overloaded or shutting down). */
  greeting421: (options: ScenarioOptions) =>
    scriptedScenario('greeting421', options, async (conn, mx) => {
      await conn.send(reply(421, `4.3.2 ${mx} Service not available, closing transmission channel`));
    }),
  /**
   * A multi-line greeting sent slowly, in pieces with pauses, dropping with
   * 554 a client that sends anything before its last line (Postfix
   * postscreen's pregreet test). Patient clients then get a healthy dialogue.
   */
  slowGreeting: (options: ScenarioOptions) =>
    scriptedScenario('slowGreeting', options, async (conn, mx, policy) => {
      const continuation = [
        `220-${mx} ESMTP checker-smtp test peer\r\n`,
        '220-Patience: the greeting is not over yet.\r\n',
      ];
      for (const line of continuation) {
        await conn.sendSlowly(line, SLOW_GREETING_PACE);
        if (!(await conn.quietFor(SLOW_GREETING_PAUSE_MS))) {
          await conn.send(reply(554, '5.5.1 Error: you talked before the greeting ended'));
          return;
        }
      }
      await runDialogue(conn, { ...dialoguePolicy(mx, policy), greeting: reply(220, `${mx} ESMTP`) });
    }),
  /** Accepts the TCP connection and never says a word. */
  silent: (options: ScenarioOptions) => scriptedScenario('silent', options, (conn) => conn.waitClosed()),
  /**
   * No PIPELINING advertised, and a client that sends a command before the
   * reply to the previous one fails with 554 5.5.0 (Postfix's "improper
   * command pipelining"). STARTTLS is offered, so this also catches clients
   * that pipeline across it.
   */
  noPipelining: (options: ScenarioOptions) =>
    scriptedScenario('noPipelining', options, (conn, mx, policy) =>
      runDialogue(conn, {
        ...dialoguePolicy(mx, policy),
        extensions: POSTFIX_EXTENSIONS.filter((keyword) => keyword !== 'PIPELINING'),
        strictSync: true,
      }),
    ),
  /**
   * Plaintext injected behind the STARTTLS 220 in the same write, before the
   * handshake: a fake EHLO reply advertising PIPELINING. A safe client
   * discards it (or gives up); `commandsAfterTls` shows what it did inside
   * TLS, and strict synchronisation catches a client that believed it.
   */
  starttlsInjection: (options: ScenarioOptions) =>
    scriptedScenario('starttlsInjection', options, (conn, mx, policy) =>
      runDialogue(conn, {
        ...dialoguePolicy(mx, policy),
        extensions: POSTFIX_EXTENSIONS.filter((keyword) => keyword !== 'PIPELINING'),
        tls: { ...leafCertificate(mx), injectAfterReady: reply(250, 'evil', 'PIPELINING') },
        strictSync: true,
      }),
    ),
  /** STARTTLS that only completes with TLS 1.0 (RSA certificate, weak suites allowed as old servers do). */
  tls10Only: (options: ScenarioOptions) =>
    scriptedScenario('tls10Only', options, (conn, mx, policy) =>
      runDialogue(conn, {
        ...dialoguePolicy(mx, policy),
        tls: {
          ...leafCertificate(mx, { keyType: 'rsa' }),
          minVersion: 'TLSv1',
          maxVersion: 'TLSv1',
          ciphers: 'DEFAULT:@SECLEVEL=0',
        },
      }),
    ),
  /**
   * An MTA behind a Cisco ASA with "inspect esmtp": the firewall masks the
   * greeting with asterisks (keeping its 2s and 0s) and rewrites the
   * STARTTLS keyword of the EHLO reply to X's, so STARTTLS is never offered.
   */
  maskedGreeting: (options: ScenarioOptions) =>
    scriptedScenario('maskedGreeting', options, (conn, mx, policy) =>
      runDialogue(conn, {
        ...dialoguePolicy(mx, policy),
        greeting: reply(220, asaMasked(`${mx} ESMTP Postfix (Debian/GNU) 2023-10-20`)),
        extensions: POSTFIX_EXTENSIONS.map((keyword) => (keyword === 'STARTTLS' ? 'XXXXXXXA' : keyword)),
      }),
    ),
  /**
   * STARTTLS with a chain a sender at default security refuses: an RSA-1024
   * leaf signed with SHA-1 by the test CA, served at OpenSSL security level
   * 0 (as an old server does: level 1 and up would not even load it).
   */
  weakCertificate: (options: ScenarioOptions) =>
    scriptedScenario('weakCertificate', options, (conn, mx, policy) =>
      runDialogue(conn, {
        ...dialoguePolicy(mx, policy),
        tls: {
          ...leafCertificate(mx, { keyType: 'rsa', rsaBits: WEAK_RSA_BITS, digest: 'sha1' }),
          ciphers: 'DEFAULT:@SECLEVEL=0',
        },
      }),
    ),
  /**
   * STARTTLS whose TLS takes only a NULL cipher no client offers: the server
   * answers the ClientHello with a handshake_failure alert (40).
   */
  tlsNoSharedCipher: (options: ScenarioOptions) =>
    scriptedScenario('tlsNoSharedCipher', options, (conn, mx, policy) =>
      runDialogue(conn, {
        ...dialoguePolicy(mx, policy),
        tls: {
          ...leafCertificate(mx, { keyType: 'rsa' }),
          maxVersion: 'TLSv1.2',
          ciphers: 'NULL-SHA256:@SECLEVEL=0',
        },
      }),
    ),
};

/** What a Cisco PIX/ASA's SMTP inspection leaves of a banner: asterisks, but for the 2s and 0s. */
function asaMasked(banner: string): string {
  return banner.replace(/[^02]/g, '*');
}
/** Below the 2048 bits OpenSSL security level 2 wants. */
const WEAK_RSA_BITS = 1024;

function mxNameOf(options: ScenarioOptions): string {
  return options.mxName ?? `mx.${options.domain}`;
}

function mailPolicy(options: ScenarioOptions, overrides: Partial<MailPolicy>): MailPolicy {
  return { localDomains: [options.domain, ...(options.localDomains ?? [])], ...overrides };
}

/** A Postfix-like dialogue with STARTTLS and the mail policy; scenarios override one part. */
function dialoguePolicy(mx: string, policy: MailPolicy): DialoguePolicy {
  const { key, cert } = leafCertificate(mx);
  return {
    hostname: mx,
    extensions: POSTFIX_EXTENSIONS,
    tls: { key, cert },
    mailFrom: (address) => asReply(senderVerdict(address, policy)),
    rcptTo: (address) => asReply(recipientVerdict(address, policy)),
  };
}

function asReply(verdict: { code: number; text: string }): string {
  return reply(verdict.code, verdict.text);
}

function smtpError(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

async function smtpServerScenario(
  scenario: ScenarioName,
  options: ScenarioOptions,
  policyOverrides: Partial<MailPolicy>,
  serverOverrides: SMTPServerOptions = {},
): Promise<ScenarioPeer> {
  const mx = mxNameOf(options);
  const policy = mailPolicy(options, policyOverrides);
  const { key, cert } = leafCertificate(mx);
  const peer = await startSmtpServerPeer(options.host, options.port, {
    name: mx,
    key,
    cert,
    size: MESSAGE_SIZE_LIMIT,
    // An MX takes mail from anyone: no AUTH needed (nor, by default, offered).
    authOptional: true,
    disabledCommands: ['AUTH'],
    // The replies below carry their own enhanced codes (5.7.1 for relaying); smtp-server's table would say 5.6.0.
    hideENHANCEDSTATUSCODES: true,
    onMailFrom: (address, _session, callback) => {
      const verdict = senderVerdict(address.address, policy);
      callback(verdict.code >= 400 ? smtpError(verdict.code, verdict.text) : null);
    },
    onRcptTo: (address, _session, callback) => {
      const verdict = recipientVerdict(address.address, policy);
      callback(verdict.code >= 400 ? smtpError(verdict.code, verdict.text) : null);
    },
    onData: (stream, _session, callback) => {
      // Probes stop at RCPT; should a client send a message anyway, it is refused, never kept.
      stream.resume();
      stream.once('end', () => callback(smtpError(554, '5.5.1 Error: DATA is not accepted by this test peer')));
    },
    ...serverOverrides,
  });
  return new RecordingPeer(scenario, peer.host, peer.port, peer.connections, peer.close);
}

async function scriptedScenario(
  scenario: ScenarioName,
  options: ScenarioOptions,
  script: (conn: ScriptedConnection, mx: string, policy: MailPolicy) => Promise<void>,
): Promise<ScenarioPeer> {
  const mx = mxNameOf(options);
  const policy = mailPolicy(options, {});
  const connectionScript: ConnectionScript = (conn) => script(conn, mx, policy);
  const peer = await startScriptedServer({ host: options.host, port: options.port, script: connectionScript });
  return new RecordingPeer(scenario, peer.host, peer.port, peer.connections, peer.close);
}

class RecordingPeer implements ScenarioPeer {
  constructor(
    readonly scenario: ScenarioName,
    readonly host: string,
    readonly port: number,
    readonly connections: readonly ConnectionLog[],
    readonly close: () => Promise<void>,
  ) {}

  private get lines(): ClientLine[] {
    return this.connections.flatMap((connection) => connection.lines);
  }

  get commands(): string[] {
    return this.lines.map((line) => line.text);
  }

  get commandsAfterTls(): string[] {
    return this.lines.filter((line) => line.tls).map((line) => line.text);
  }

  get sentData(): boolean {
    return this.connections.some((connection) => connection.sentData);
  }

  get pipelined(): boolean {
    return this.connections.some((connection) => connection.pipelined);
  }

  get spokeEarly(): boolean {
    return this.connections.some((connection) => connection.spokeEarly);
  }
}
