/**
 * What every real-MTA harness takes and gives: one policy (the configuration
 * under test) on one loopback address, and a running daemon to probe, whose
 * log is kept in its throw-away directory until it is stopped.
 */
import type { TlsCredentials } from '../peers/certs.js';

/** The configurations each MTA is proven against (issue 5, part 1). */
export type MtaPolicy =
  /** STARTTLS, postmaster and the null sender accepted, relaying denied. */
  | 'healthy'
  /** Relaying allowed for the checker's address (127.0.0.1, the kernel's pick for a 127.0.0.x destination). */
  | 'open_relay'
  | 'no_starttls'
  /** AUTH offered on the plaintext session, PLAIN among its mechanisms. */
  | 'auth_before_tls'
  /** AUTH offered on the plaintext session with challenge-response mechanisms only (no clear-text password). */
  | 'auth_challenge_before_tls'
  /** STARTTLS with an RSA-1024 certificate signed with SHA-1 (by the test CA): refused at default security. */
  | 'weak_certificate'
  | 'null_sender_refused'
  | 'postmaster_refused'
  /** A 4xx at RCPT for the domain's recipients, as greylisting answers. */
  | 'greylisting';

/**
 * What a case adds to a policy's configuration: the real-world settings
 * (anti-spam checks on the client, rate limits, delays) whose answers the
 * checker must judge rightly. Each harness applies what its MTA can express.
 */
export interface MtaTuning {
  /** Postfix main.cf lines, or Exim main-section options, after the policy's own. */
  main?: string[];
  /** Exim: ACL statements placed first in acl_check_rcpt (e.g. "require verify = sender"). */
  rcptAclFirst?: string;
  /** Exim: whole ACLs appended to the ACL section (e.g. a connect ACL that `main` names). */
  acl?: string;
  /** More domains the MTA takes mail for: a sender domain it can verify without DNS. */
  localDomains?: string[];
  /**
   * /etc/hosts without the loopback names inside the MTA's namespace, so the
   * checker's address (127.0.0.1) has no host name there: no reverse DNS.
   */
  noLoopbackName?: boolean;
}

export interface MtaSetup {
  /** Loopback address the MTA listens on (127.0.0.150–168). */
  host: string;
  /** The tested domain: a local domain of the MTA, so postmaster@domain is its own. */
  domain: string;
  /** The MX name, also the MTA's host name and the certificate's name. */
  mxName: string;
  policy: MtaPolicy;
  tls: TlsCredentials;
  /**
   * A connection limit on top of the policy: the daemon also listens on
   * these loopback addresses (the same port), so one server is reached under
   * several MX names, and accepts at most `maxConnections` sessions at once
   * (Exim smtp_accept_max). Absent: one address, no limit.
   */
  connections?: { alsoListenOn: string[]; maxConnections: number };
  tuning?: MtaTuning;
}

export interface MtaInstance {
  /** "Postfix 3.7.11" and the like, from the binary. */
  readonly software: string;
  readonly host: string;
  readonly port: number;
  /** The MTA's own log for this run, in its throw-away directory. */
  readonly logFile: string;
  /** Stops the daemon (its stop command or its PID) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * The checker's client address as the MTA sees it: connecting to any
 * 127.0.0.x, the kernel picks the loopback interface's primary address.
 */
export const CHECKER_SOURCE_ADDRESS = '127.0.0.1';
/** A trusted network that does not contain the checker (so relaying is judged, not waved through). */
export const UNRELATED_TRUSTED_NETWORK = '127.0.0.250/32';
/** The recipient the relay probe uses by default (options.test_probe_address). */
export const OUTSIDE_RECIPIENT = 'postmaster@example.com';
/** What the greylisting-like policies answer at RCPT, after a 450 4.2.0 / 451 4.7.1. */
export const GREYLIST_TEXT = 'Greylisted, try again later';
