/**
 * The observation: everything collection saw, as one versioned JSON document.
 *
 * It is the only contract between the I/O half (collect) and the pure half
 * (rules, report, metrics). The host stores it as is and hands it back later,
 * so every field must be plain JSON and changes must bump `version`.
 * `schema/observation.schema.json` documents the same shape for other tools.
 */

export const OBSERVATION_VERSION = 1 as const;

/** Outcome of one DNS question that did not produce an answer. */
export type DnsErrorCode =
  | 'NXDOMAIN' // the name does not exist
  | 'NODATA' // the name exists but has no record of this type
  | 'SERVFAIL'
  | 'REFUSED'
  | 'TIMEOUT'
  | 'ERROR'; // anything else (bad response, connection refused, …)

export type RrType = 'MX' | 'A' | 'AAAA' | 'CNAME' | 'PTR';

export interface DnsFailure {
  /** The name that was asked about (A-label, no trailing dot). */
  name: string;
  rrtype: RrType;
  code: DnsErrorCode;
  /** Resolver message, for the transcript-minded reader. */
  message: string;
}

export interface MxTarget {
  preference: number;
  /** Target name as published, lower-case, no trailing dot ("" never: a null MX is `dns.null_mx`). */
  name: string;
  /** The target is an address literal such as "192.0.2.1" (RFC 5321 §5.1 forbids it). */
  ip_literal: boolean;
  /** Names the target's CNAME chain points through, in order; empty when the target is not an alias. */
  cname_chain: string[];
  /** Addresses the target resolves to (after following any CNAME), sorted. */
  ipv4: string[];
  ipv6: string[];
  /** Lookups for this target that failed (NODATA for one family alone is not listed). */
  errors: DnsFailure[];
  /** This target is the domain itself, probed because it has no MX (RFC 5321 §5.1 implicit MX). */
  implicit: boolean;
}

export interface DnsFacts {
  /** Where the MX set came from: a live lookup, or the MX service the host sent. */
  source: 'live' | 'service';
  /** The MX lookup of the domain failed (SERVFAIL, timeout, NXDOMAIN…); null when it answered (NODATA included). */
  mx_error: DnsFailure | null;
  /** RFC 7505: the domain publishes exactly `MX 0 .`. */
  null_mx: boolean;
  /** No MX record; the domain's own A/AAAA are used as the implicit MX. */
  implicit_mx: boolean;
  /** MX targets sorted by preference then name (the implicit MX appears here with implicit: true). */
  mx: MxTarget[];
}

/** One SMTP reply, kept whole. */
export interface Reply {
  /** Three-digit reply code of the first line. */
  code: number;
  /** Enhanced status code (RFC 3463) from the first line, when present, e.g. "5.7.1". */
  enhanced: string | null;
  /** Every line as received, without CRLF, code included ("250-PIPELINING"). */
  lines: string[];
}

/** ESMTP extensions advertised in one EHLO reply. */
export interface Extensions {
  /** Upper-cased keywords in the order advertised ("STARTTLS", "SIZE", "AUTH", "X-FOO"…). */
  keywords: string[];
  /** Parameters per keyword, verbatim ("SIZE" → ["10240000"], "AUTH" → ["PLAIN", "LOGIN"]). */
  params: Record<string, string[]>;
  /** SIZE limit in bytes when advertised with a number (0 means "no fixed limit"). */
  size: number | null;
  /** AUTH mechanisms, upper-cased (also from the legacy "AUTH=" form). */
  auth: string[];
}

export type Phase =
  | 'connect'
  | 'greeting'
  | 'ehlo'
  | 'helo'
  | 'starttls'
  | 'tls'
  | 'ehlo_tls'
  | 'null_sender'
  | 'postmaster'
  | 'open_relay'
  | 'quit';

/** Why an endpoint dialogue stopped early. A misbehaving server is data, not an exception. */
export type ProbeErrorCode =
  | 'connect.refused' // RST on SYN
  | 'connect.timeout' // no answer to SYN within the budget
  | 'connect.unreachable' // ENETUNREACH / EHOSTUNREACH / EADDRNOTAVAIL: no route from the checker
  | 'connect.error'
  | 'policy.refused' // not dialled: the deployment's target policy refuses this address (private, loopback…)
  | 'timeout' // the endpoint budget ran out mid-dialogue
  | 'closed' // the server closed the connection
  | 'reset' // ECONNRESET / EPIPE
  | 'reply.malformed' // not an SMTP reply line
  | 'reply.line_too_long'
  | 'reply.too_many_lines'
  | 'bytes_exceeded' // the endpoint sent more than MAX_ENDPOINT_BYTES
  | 'tls.handshake' // STARTTLS 220 but the TLS handshake failed
  | 'error';

export interface ProbeError {
  code: ProbeErrorCode;
  phase: Phase;
  message: string;
}

export interface CertificateInfo {
  subject: Record<string, string>;
  issuer: Record<string, string>;
  /** DNS and IP names from subjectAltName, e.g. ["DNS:mx1.example.com"]. */
  subject_alt_names: string[];
  valid_from: string; // RFC 3339
  valid_to: string; // RFC 3339
  serial: string;
  fingerprint_sha256: string;
  /** Public key algorithm and size, e.g. "RSA" / 2048. */
  key_type: string | null;
  key_bits: number | null;
  /** The certificate, DER, base64: enough for a later re-evaluation. */
  der_base64: string;
}

export interface TlsInfo {
  /** "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", … */
  version: string;
  cipher: string;
  /** Ephemeral key exchange ("ECDH" X25519 253, "DH" 1024) when known. */
  ephemeral: { type: string; name: string | null; bits: number | null } | null;
  /** Peer chain as presented, leaf first. */
  chain: CertificateInfo[];
  /** Verification against the trust store, done by the TLS stack during the handshake. */
  chain_trusted: boolean;
  /** OpenSSL's verdict when untrusted, e.g. "DEPTH_ZERO_SELF_SIGNED_CERT". */
  chain_error: string | null;
  /** SNI we sent (the MX name); null for an implicit MX address without a name. */
  sni: string | null;
}

export interface StartTlsResult {
  /** STARTTLS appeared in the pre-TLS EHLO. */
  offered: boolean;
  /** We sent STARTTLS. */
  attempted: boolean;
  reply: Reply | null;
  /** The handshake completed. */
  ok: boolean;
  /** Plaintext bytes the server sent after its 220 that we discarded unread (injection attempt or bug). */
  discarded_bytes: number;
  tls: TlsInfo | null;
  error: ProbeError | null;
}

export type TransactionKind = 'null_sender' | 'postmaster' | 'open_relay';

export type TransactionOutcome =
  | 'accepted' // MAIL and RCPT both 2xx
  | 'rejected' // a 5xx at MAIL or RCPT
  | 'tempfail' // a 4xx at MAIL or RCPT
  | 'error' // the dialogue broke before an answer
  | 'skipped'; // not run: switched off, or the dialogue never got there

export interface Transaction {
  kind: TransactionKind;
  /** The reverse-path and forward-path we used (addr-spec, without brackets; "" is the null sender). */
  mail_from: string;
  rcpt_to: string;
  mail: Reply | null;
  rcpt: Reply | null;
  /**
   * Reply to RSET; null when not sent. Without PIPELINING the last transaction
   * that ran is ended by QUIT (RFC 5321 §4.1.1.10) instead, so its rset is null.
   */
  rset: Reply | null;
  outcome: TransactionOutcome;
  /** Which command gave the deciding answer, when one did. */
  decided_at: 'mail' | 'rcpt' | null;
  /** Why it was skipped or broke, in words. */
  note: string | null;
}

export interface TranscriptLine {
  /** Milliseconds since the endpoint probe started. */
  t: number;
  /** C: client to server, S: server to client, '*': an event (connected, TLS up, timeout…). */
  dir: 'C' | 'S' | '*';
  text: string;
}

export interface ReverseDns {
  /** PTR names for the address, lower-case, no trailing dot. */
  ptr: string[];
  ptr_error: DnsFailure | null;
  /** For each PTR name, the addresses it resolves to in the endpoint's family. */
  forward: { name: string; addresses: string[]; error: DnsFailure | null }[];
  /** Some PTR name resolves back to the endpoint address. */
  fcrdns: boolean;
}

export interface StageTimings {
  connect_ms: number | null;
  greeting_ms: number | null;
  ehlo_ms: number | null;
  tls_ms: number | null;
  total_ms: number;
}

export interface EndpointProbe {
  /** MX target names that lead to this address, by preference (one connection serves them all). */
  mx: string[];
  /** Best (lowest) preference among them. */
  preference: number;
  address: string;
  family: 4 | 6;
  port: number;
  /** "192.0.2.1:25" or "[2001:db8::1]:25": the subject of this endpoint's states. */
  subject: string;
  started_at: string;
  timings: StageTimings;
  /** TCP connect succeeded. */
  connected: boolean;
  greeting: Reply | null;
  /** Host name announced in the greeting (first word after the code), when any. */
  greeting_host: string | null;
  /** First hello: EHLO, or HELO after an EHLO refusal. */
  ehlo: Reply | null;
  /** EHLO was refused and HELO was sent instead. */
  helo_fallback: boolean;
  helo: Reply | null;
  extensions: Extensions | null;
  starttls: StartTlsResult;
  ehlo_tls: Reply | null;
  extensions_tls: Extensions | null;
  /** Transactions ran pipelined (only when PIPELINING was advertised). */
  pipelined: boolean;
  transactions: Transaction[];
  quit: Reply | null;
  /** Why the dialogue stopped early; null when it reached QUIT. */
  error: ProbeError | null;
  reverse_dns: ReverseDns;
  transcript: TranscriptLine[];
  /** The transcript was cut at MAX_TRANSCRIPT_LINES. */
  transcript_truncated: boolean;
  bytes_received: number;
}

export interface ObservationOptions {
  timeout: number;
  helo_name: string;
  test_null_sender: boolean;
  test_postmaster: boolean;
  test_open_relay: boolean;
  /** The relay-probe recipient actually used. */
  test_probe_address: string;
  /** The requested probe address lay inside the tested domain and was replaced by the default. */
  probe_address_replaced: boolean;
  port: number;
}

export interface Observation {
  version: typeof OBSERVATION_VERSION;
  /** The tested domain, A-label form, lower-case, no trailing dot. */
  domain: string;
  collected_at: string;
  duration_ms: number;
  checker: { name: string; version: string };
  options: ObservationOptions;
  dns: DnsFacts;
  /** One per distinct address, sorted by preference, then family (v4 first), then address. */
  endpoints: EndpointProbe[];
}
