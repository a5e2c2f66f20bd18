/**
 * The observation: everything collection saw, as one versioned JSON document.
 *
 * It is the only contract between the I/O half (collect) and the pure half
 * (rules, report, metrics). The host stores it as is and hands it back later,
 * so every field must be plain JSON and changes must bump `version`.
 *
 * Written once, here, as TypeBox schemas: each TypeScript type is the
 * `Static` of its schema, the descriptions are the field documentation,
 * `validateObservation()` compiles the same schema, and
 * `schema/observation.schema.json` is generated from it (`npm run schema`).
 */
import Type, { type Static } from 'typebox';
import { closedObject, definition, described, nullable, recordOf } from './json-schema.js';

export const OBSERVATION_VERSION = 3 as const;

/** Scalars with a shape the schema checks (the `Static` type stays `string`/`number`). */
const Timestamp = definition(
  'Timestamp',
  Type.String({
    format: 'date-time',
    description: 'An RFC 3339 date-time in UTC, e.g. "2026-11-21T10:00:00.000Z".',
  }),
);
const MxPreference = (description: string) => Type.Integer({ minimum: 0, maximum: 65535, description });
const PortNumber = (description: string) => Type.Integer({ minimum: 1, maximum: 65535, description });
const StringList = (description: string) => Type.Array(Type.String(), { description });

// ---------------------------------------------------------------- DNS

export const DnsErrorCodeSchema = definition(
  'DnsErrorCode',
  Type.Enum(['NXDOMAIN', 'NODATA', 'SERVFAIL', 'REFUSED', 'TIMEOUT', 'ERROR'], {
    description:
      'Outcome of one DNS question that did not produce an answer: NXDOMAIN (the name does not exist), NODATA (the name exists but has no record of this type), SERVFAIL, REFUSED, TIMEOUT, ERROR (anything else: bad response, connection refused, …).',
  }),
);
export type DnsErrorCode = Static<typeof DnsErrorCodeSchema>;

export const RrTypeSchema = definition(
  'RrType',
  Type.Enum(['MX', 'A', 'AAAA', 'CNAME', 'PTR', 'SOA'], { description: 'DNS record type of a question.' }),
);
export type RrType = Static<typeof RrTypeSchema>;

export const DnsFailureSchema = definition(
  'DnsFailure',
  closedObject(
    {
      name: Type.String({ description: 'The name that was asked about (A-label, no trailing dot).' }),
      rrtype: described(RrTypeSchema, 'The record type that was asked for.'),
      code: described(DnsErrorCodeSchema, 'What went wrong.'),
      message: Type.String({ description: 'Resolver message, for the transcript-minded reader.' }),
    },
    { description: 'Outcome of one DNS question that did not produce an answer.' },
  ),
);
export type DnsFailure = Static<typeof DnsFailureSchema>;

export const MxTargetSchema = definition(
  'MxTarget',
  closedObject(
    {
      preference: MxPreference('MX preference (lower is tried first).'),
      name: Type.String({
        minLength: 1,
        description: 'Target name as published, lower-case, no trailing dot ("" never: a null MX is `dns.null_mx`).',
      }),
      ip_literal: Type.Boolean({
        description: 'The target is an address literal such as "192.0.2.1" (RFC 5321 §5.1 forbids it).',
      }),
      cname_chain: StringList(
        "Names the target's CNAME chain points through, in order; empty when the target is not an alias.",
      ),
      ipv4: StringList('IPv4 addresses the target resolves to (after following any CNAME), sorted.'),
      ipv6: StringList(
        'IPv6 addresses the target resolves to (after following any CNAME), sorted; IPv4-mapped AAAA answers are not among them (see ipv4_mapped).',
      ),
      ipv4_mapped: StringList(
        'AAAA answers that were IPv4-mapped addresses ("::ffff:192.0.2.1"): not IPv6 at all. Their IPv4 address is in ipv4 and probed once, as IPv4.',
      ),
      errors: Type.Array(DnsFailureSchema, {
        description: 'Lookups for this target that failed (NODATA for one family alone is not listed).',
      }),
      implicit: Type.Boolean({
        description: 'This target is the domain itself, probed because it has no MX (RFC 5321 §5.1 implicit MX).',
      }),
    },
    { description: 'One MX target and what its name resolves to.' },
  ),
);
export type MxTarget = Static<typeof MxTargetSchema>;

export const ResolverInfoSchema = definition(
  'ResolverInfo',
  closedObject(
    {
      servers: StringList(
        'The resolver addresses asked, "IP:PORT" or "[IPv6]:PORT", in the order they are tried ("127.0.0.53:53").',
      ),
      source: Type.Enum(['system', 'setting'], {
        description:
          "Where they came from: the system's configuration (/etc/resolv.conf), or the resolver setting (--resolver).",
      }),
    },
    { description: 'The DNS resolver every lookup of this collection went to.' },
  ),
);
export type ResolverInfo = Static<typeof ResolverInfoSchema>;

export const ResolverQuestionSchema = definition(
  'ResolverQuestion',
  closedObject(
    {
      name: Type.String({ description: 'The name asked: "." for the root zone, or the top-level domain ("cmo").' }),
      rrtype: described(RrTypeSchema, 'The record type asked for (SOA).'),
      answered: Type.Boolean({ description: 'The resolver answered with the record.' }),
      error: nullable(DnsFailureSchema, 'Why it did not; null when it answered.'),
    },
    { description: 'One question asked of the resolver to judge the resolver itself.' },
  ),
);
export type ResolverQuestion = Static<typeof ResolverQuestionSchema>;

export const ResolverCheckSchema = definition(
  'ResolverCheck',
  closedObject(
    {
      root: described(
        ResolverQuestionSchema,
        "The root zone's SOA: every working resolver answers it, so a failure here is the resolver's.",
      ),
      tld: nullable(
        ResolverQuestionSchema,
        "The top-level domain's SOA, asked when the domain was NXDOMAIN and the root answered; null otherwise.",
      ),
      conclusion: Type.Enum(['resolver', 'tld_missing', 'domain'], {
        description:
          "What the answers say: resolver (the resolver itself fails or filters: the MX lookup's failure says nothing about the domain), tld_missing (the top-level domain does not exist), domain (the resolver works: the failure is the domain's).",
      }),
    },
    {
      description:
        'Questions asked of the same resolver after the MX lookup failed or was NXDOMAIN, to tell a broken resolver from a broken domain.',
    },
  ),
);
export type ResolverCheck = Static<typeof ResolverCheckSchema>;

export const MxNotProbedSchema = definition(
  'MxNotProbed',
  closedObject(
    {
      preference: MxPreference('MX preference.'),
      name: Type.String({ minLength: 1, description: 'Target name as published, lower-case, no trailing dot.' }),
      reason: Type.Enum(['capped', 'not_allowed'], {
        description:
          "capped (over the cap of MX targets probed per check: the best preferences were probed), not_allowed (outside the deployment's allowed domains).",
      }),
      message: Type.String({ description: 'Why, in words: "not probed: over the cap of 10 MX targets per check".' }),
    },
    { description: 'An MX target that was published but not looked up nor probed, and why.' },
  ),
);
export type MxNotProbed = Static<typeof MxNotProbedSchema>;

export const DnsFactsSchema = definition(
  'DnsFacts',
  closedObject(
    {
      source: Type.Enum(['live', 'service', 'given'], {
        description:
          "Where the MX set came from: a live lookup, the MX service the host sent, or hosts the user named instead of a lookup (given: `--mx` on the command line, the library's `mx` setting with `mxSource: 'given'`; IP addresses are allowed there and probed, as swaks --server does).",
      }),
      mx_error: nullable(
        DnsFailureSchema,
        'The MX lookup of the domain failed (SERVFAIL, timeout, NXDOMAIN…); null when it answered (NODATA included).',
      ),
      null_mx: Type.Boolean({ description: 'RFC 7505: the domain publishes exactly `MX 0 .`.' }),
      implicit_mx: Type.Boolean({
        description: "No MX record; the domain's own A/AAAA are used as the implicit MX.",
      }),
      mx: Type.Array(MxTargetSchema, {
        description:
          'MX targets probed, sorted by preference then name (the implicit MX appears here with implicit: true).',
      }),
      mx_not_probed: Type.Array(MxNotProbedSchema, {
        description:
          "MX targets published but neither looked up nor probed, by preference then name: over the cap of MX targets per check, or outside the deployment's allowed domains. MAX_MX_RECORDS names are kept at most, here and in mx together.",
      }),
      mx_unlisted: Type.Integer({
        minimum: 0,
        description: 'MX targets not probed either, beyond those listed in mx_not_probed (a zone publishing hundreds).',
      }),
      resolver: described(ResolverInfoSchema, 'The resolver every lookup went to.'),
      resolver_check: nullable(
        ResolverCheckSchema,
        'Asked only when the MX lookup failed or was NXDOMAIN: whether the resolver itself works; null otherwise.',
      ),
    },
    { description: 'DNS posture of the domain, looked up once.' },
  ),
);
export type DnsFacts = Static<typeof DnsFactsSchema>;

// ---------------------------------------------------------------- SMTP replies and extensions

export const ReplySchema = definition(
  'Reply',
  closedObject(
    {
      code: Type.Integer({ minimum: 100, maximum: 999, description: 'Three-digit reply code of the first line.' }),
      enhanced: nullable(
        Type.String({ pattern: '^[245]\\.\\d{1,3}\\.\\d{1,3}$' }),
        'Enhanced status code (RFC 3463) from the first line, when present, e.g. "5.7.1".',
      ),
      lines: StringList('Every line as received, without CRLF, code included ("250-PIPELINING").'),
    },
    { description: 'One SMTP reply, kept whole.' },
  ),
);
export type Reply = Static<typeof ReplySchema>;

export const ExtensionsSchema = definition(
  'Extensions',
  closedObject(
    {
      keywords: StringList('Upper-cased keywords in the order advertised ("STARTTLS", "SIZE", "AUTH", "X-FOO"…).'),
      params: recordOf(Type.Array(Type.String()), {
        description: 'Parameters per keyword, verbatim ("SIZE" → ["10240000"], "AUTH" → ["PLAIN", "LOGIN"]).',
      }),
      size: nullable(
        Type.Integer({ minimum: 0 }),
        'SIZE limit in bytes when advertised with a number (0 means "no fixed limit").',
      ),
      auth: StringList('AUTH mechanisms, upper-cased (also from the legacy "AUTH=" form).'),
    },
    { description: 'ESMTP extensions advertised in one EHLO reply.' },
  ),
);
export type Extensions = Static<typeof ExtensionsSchema>;

// ---------------------------------------------------------------- how a dialogue stops

export const PhaseSchema = definition(
  'Phase',
  Type.Enum(
    [
      'connect',
      'greeting',
      'ehlo',
      'helo',
      'starttls',
      'tls',
      'ehlo_tls',
      'null_sender',
      'postmaster',
      'open_relay',
      'quit',
    ],
    { description: 'The step of the endpoint dialogue.' },
  ),
);
export type Phase = Static<typeof PhaseSchema>;

export const ProbeErrorCodeSchema = definition(
  'ProbeErrorCode',
  Type.Enum(
    [
      'connect.refused',
      'connect.timeout',
      'connect.unreachable',
      'connect.error',
      'policy.refused',
      'policy.capped',
      'queue.timeout',
      'skipped',
      'cancelled',
      'deadline',
      'timeout',
      'closed',
      'reset',
      'reply.malformed',
      'reply.line_too_long',
      'reply.too_many_lines',
      'bytes_exceeded',
      'tls.handshake',
      'error',
    ],
    {
      description:
        "Why an endpoint dialogue stopped early: connect.refused (RST on SYN), connect.timeout (no answer to SYN within the budget), connect.unreachable (ENETUNREACH / EHOSTUNREACH / EADDRNOTAVAIL: no route from the checker), connect.error, policy.refused (not dialled: the deployment's target policy refuses this address), policy.capped (not dialled: over the cap of endpoints per check), queue.timeout (not dialled: waited longer than the service allows for a connection slot), skipped (not dialled, by choice: the check was asked to probe the other address family only, -4 or -6), cancelled (the caller cancelled the collection before or during this probe), deadline (the collection's deadline ran out before or during this probe), timeout (the endpoint budget ran out mid-dialogue), closed (the server closed the connection), reset (ECONNRESET / EPIPE), reply.malformed (not an SMTP reply line), reply.line_too_long, reply.too_many_lines, bytes_exceeded (the endpoint sent more than MAX_ENDPOINT_BYTES), tls.handshake (STARTTLS 220 but the TLS handshake failed), error.",
    },
  ),
);
export type ProbeErrorCode = Static<typeof ProbeErrorCodeSchema>;

export const ProbeErrorSchema = definition(
  'ProbeError',
  closedObject(
    {
      code: described(ProbeErrorCodeSchema, 'What went wrong.'),
      phase: described(PhaseSchema, 'The step of the dialogue where it went wrong.'),
      message: Type.String({ description: 'What went wrong, in words.' }),
    },
    { description: 'Why an endpoint dialogue stopped early. A misbehaving server is data, not an exception.' },
  ),
);
export type ProbeError = Static<typeof ProbeErrorSchema>;

// ---------------------------------------------------------------- TLS

const DistinguishedName = definition(
  'DistinguishedName',
  recordOf(Type.String(), {
    description: 'Distinguished name attributes, e.g. {"CN": "mx1.example.com", "O": "Example"}.',
  }),
);

export const CertificateInfoSchema = definition(
  'CertificateInfo',
  closedObject(
    {
      subject: described(DistinguishedName, 'Subject distinguished name.'),
      issuer: described(DistinguishedName, 'Issuer distinguished name.'),
      subject_alt_names: StringList('DNS and IP names from subjectAltName, e.g. ["DNS:mx1.example.com"].'),
      valid_from: described(Timestamp, 'Start of validity, RFC 3339.'),
      valid_to: described(Timestamp, 'End of validity, RFC 3339.'),
      serial: Type.String({ description: 'Serial number, hexadecimal.' }),
      fingerprint_sha256: Type.String({ description: 'SHA-256 fingerprint of the DER certificate.' }),
      key_type: nullable(Type.String(), 'Public key algorithm, e.g. "RSA", "EC prime256v1", "ED25519".'),
      key_bits: nullable(Type.Integer({ minimum: 0 }), 'Public key size in bits, e.g. 2048 (256 for EC P-256).'),
      signature_algorithm: nullable(
        Type.String(),
        'Algorithm of the issuer\'s signature on this certificate, OpenSSL\'s name ("sha256WithRSAEncryption", "ecdsa-with-SHA384", "rsassaPss"), the dotted OID when unknown; null when the DER could not be read.',
      ),
      signature_hash: nullable(
        Type.String(),
        'Hash of that signature: "MD5", "SHA-1", "SHA-256"…; null for a signature without a separate hash (Ed25519) or an unknown algorithm.',
      ),
      self_signed: Type.Boolean({
        description:
          'Issued by itself and signed with its own key (a root, or a self-signed leaf): its own signature vouches for nothing.',
      }),
      der_base64: Type.String({ description: 'The certificate, DER, base64: enough for a later re-evaluation.' }),
    },
    { description: 'One certificate of the peer chain.' },
  ),
);
export type CertificateInfo = Static<typeof CertificateInfoSchema>;

export const TlsInfoSchema = definition(
  'TlsInfo',
  closedObject(
    {
      version: Type.String({ description: '"TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", …' }),
      cipher: Type.String({ description: 'Negotiated cipher suite, e.g. "TLS_AES_256_GCM_SHA384".' }),
      ephemeral: nullable(
        closedObject(
          {
            type: Type.String({ description: 'Key exchange type, "ECDH" or "DH".' }),
            name: nullable(Type.String(), 'Curve name for ECDH, e.g. "X25519".'),
            bits: nullable(Type.Integer({ minimum: 0 }), 'Key size in bits.'),
          },
          { description: 'Ephemeral key parameters.' },
        ),
        'Ephemeral key exchange ("ECDH" X25519 253, "DH" 1024) when known.',
      ),
      chain: Type.Array(CertificateInfoSchema, { description: 'Peer chain as presented, leaf first.' }),
      chain_trusted: Type.Boolean({
        description:
          "Verification against the trust store, done by the TLS stack during the handshake at OpenSSL security level 0 (so old servers still negotiate): weak keys and MD5/SHA-1 signatures pass it; smtp.tls_quality judges them from the chain's key and signature fields.",
      }),
      chain_error: nullable(Type.String(), 'OpenSSL\'s verdict when untrusted, e.g. "DEPTH_ZERO_SELF_SIGNED_CERT".'),
      sni: nullable(Type.String(), 'SNI we sent (the MX name); null for an implicit MX address without a name.'),
      resumed_from: Type.Optional(
        Type.String({
          format: 'date-time',
          description:
            "Present when this connection resumed the TLS session of an earlier full handshake of the same bulk run (collectMany, batch, worker) to the same MX: when that handshake was made. A resumed handshake carries no certificate, so `chain`, `chain_trusted`, `chain_error` and `ephemeral` are what that full handshake showed (at most 10 minutes before); `version` and `cipher` are this connection's.",
        }),
      ),
    },
    { description: 'What the STARTTLS handshake negotiated and the certificate chain seen.' },
  ),
);
export type TlsInfo = Static<typeof TlsInfoSchema>;

export const StartTlsResultSchema = definition(
  'StartTlsResult',
  closedObject(
    {
      offered: Type.Boolean({ description: 'STARTTLS appeared in the pre-TLS EHLO.' }),
      attempted: Type.Boolean({ description: 'We sent STARTTLS.' }),
      reply: nullable(ReplySchema, 'The reply to STARTTLS; null when it was not sent or not answered.'),
      ok: Type.Boolean({ description: 'The handshake completed.' }),
      discarded_bytes: Type.Integer({
        minimum: 0,
        description:
          'Plaintext bytes the server sent after its 220 that we discarded unread (injection attempt or bug).',
      }),
      tls: nullable(TlsInfoSchema, 'What the handshake negotiated; null when it did not complete.'),
      error: nullable(ProbeErrorSchema, 'Why the STARTTLS step failed, when it did.'),
      plaintext_refused: nullable(
        closedObject(
          {
            command: Type.Enum(['mail', 'rcpt'], { description: 'Which command the server refused.' }),
            reply: described(ReplySchema, 'The refusal, e.g. "530 5.7.0 Must issue a STARTTLS command first".'),
          },
          { description: 'A plaintext transaction refused until STARTTLS.' },
        ),
        'The server refused a mail transaction in plaintext, asking for STARTTLS first (RFC 3207 §4: a publicly referenced server must not require it); null when plaintext transactions were accepted or not tried.',
      ),
    },
    { description: 'The STARTTLS step: offered, attempted, and how it went.' },
  ),
);
export type StartTlsResult = Static<typeof StartTlsResultSchema>;

// ---------------------------------------------------------------- probe transactions

export const TransactionKindSchema = definition(
  'TransactionKind',
  Type.Enum(['null_sender', 'postmaster', 'open_relay'], {
    description: 'Which probe transaction: null sender, postmaster, or open relay.',
  }),
);
export type TransactionKind = Static<typeof TransactionKindSchema>;

export const TransactionOutcomeSchema = definition(
  'TransactionOutcome',
  Type.Enum(['accepted', 'rejected', 'tempfail', 'error', 'skipped'], {
    description:
      'accepted (MAIL and RCPT both 2xx), rejected (a 5xx at MAIL or RCPT), tempfail (a 4xx at MAIL or RCPT), error (the dialogue broke before an answer), skipped (not run: switched off, or the dialogue never got there).',
  }),
);
export type TransactionOutcome = Static<typeof TransactionOutcomeSchema>;

export const TransactionSchema = definition(
  'Transaction',
  closedObject(
    {
      kind: described(TransactionKindSchema, 'Which probe this is.'),
      mail_from: Type.String({
        description: 'The reverse-path we used (addr-spec, without brackets; "" is the null sender).',
      }),
      rcpt_to: Type.String({ description: 'The forward-path we used (addr-spec, without brackets).' }),
      mail: nullable(ReplySchema, 'Reply to MAIL FROM; null when not sent or not answered.'),
      rcpt: nullable(ReplySchema, 'Reply to RCPT TO; null when not sent or not answered.'),
      rset: nullable(
        ReplySchema,
        'Reply to RSET; null when not sent or not answered. Without PIPELINING the last transaction that ran ends with QUIT instead of RSET (QUIT aborts a transaction, RFC 5321 §4.1.1.10), so its rset is null.',
      ),
      outcome: described(TransactionOutcomeSchema, 'How the transaction ended.'),
      decided_at: nullable(Type.Enum(['mail', 'rcpt']), 'Which command gave the deciding answer, when one did.'),
      note: nullable(Type.String(), 'Why it was skipped or broke, in words.'),
      tls: Type.Boolean({
        description: 'The transaction ran inside TLS (false: in plaintext, before STARTTLS or without it).',
      }),
      sequence: Type.Integer({
        minimum: 0,
        description:
          'Position among the MAIL transactions sent on the connection (1 = first); 0 when not sent. A later one may meet per-client limits the earlier ones used up.',
      }),
      answered_by: nullable(
        TransactionKindSchema,
        "The probe was not sent on its own because another transaction answered its question: the null-sender transaction to postmaster@domain, accepted, shows that postmaster accepts mail. Its replies are that transaction's.",
      ),
    },
    { description: 'One probe transaction: MAIL, RCPT, then RSET; DATA is never sent.' },
  ),
);
export type Transaction = Static<typeof TransactionSchema>;

// ---------------------------------------------------------------- transcript, reverse DNS, timings

export const TranscriptLineSchema = definition(
  'TranscriptLine',
  closedObject(
    {
      t: Type.Number({ minimum: 0, description: 'Milliseconds since the endpoint probe started.' }),
      dir: Type.Enum(['C', 'S', '*'], {
        description: "C: client to server, S: server to client, '*': an event (connected, TLS up, timeout…).",
      }),
      text: Type.String({ description: 'The line without CRLF, or the event in words.' }),
    },
    { description: 'One line of the SMTP dialogue, or an event.' },
  ),
);
export type TranscriptLine = Static<typeof TranscriptLineSchema>;

export const ReverseDnsSchema = definition(
  'ReverseDns',
  closedObject(
    {
      ptr: StringList('PTR names for the address, lower-case, no trailing dot.'),
      ptr_error: nullable(DnsFailureSchema, 'The PTR lookup failed; null when it answered.'),
      forward: Type.Array(
        closedObject(
          {
            name: Type.String({ description: 'The PTR name.' }),
            addresses: StringList("Addresses the name resolves to in the endpoint's family."),
            error: nullable(DnsFailureSchema, 'The forward lookup failed; null when it answered.'),
          },
          { description: 'Forward lookup of one PTR name.' },
        ),
        { description: "For each PTR name, the addresses it resolves to in the endpoint's family." },
      ),
      fcrdns: Type.Boolean({ description: 'Some PTR name resolves back to the endpoint address.' }),
    },
    { description: 'Reverse DNS of the endpoint address and its forward confirmation.' },
  ),
);
export type ReverseDns = Static<typeof ReverseDnsSchema>;

const StageMs = (description: string) => nullable(Type.Number({ minimum: 0 }), description);

export const StageTimingsSchema = definition(
  'StageTimings',
  closedObject(
    {
      connect_ms: StageMs('TCP connect time.'),
      greeting_ms: StageMs('Time from connect to the complete greeting.'),
      ehlo_ms: StageMs('Time for the first EHLO (or HELO) reply.'),
      tls_ms: StageMs('STARTTLS handshake time.'),
      total_ms: Type.Number({ minimum: 0, description: 'Whole endpoint probe, connect to QUIT (or to the stop).' }),
    },
    {
      description: 'How long each stage of the dialogue took, in milliseconds; null for a stage not reached.',
    },
  ),
);
export type StageTimings = Static<typeof StageTimingsSchema>;

// ---------------------------------------------------------------- a second attempt

export const RetrySchema = definition(
  'Retry',
  closedObject(
    {
      reason: Type.Enum(['greeting_421', 'connect_refused', 'closed_before_greeting'], {
        description:
          "Why the first attempt was not taken as the server's answer: greeting_421 (a 421 greeting, e.g. a limit on concurrent connections our parallel probes tripped), connect_refused or closed_before_greeting (while another probe of the same domain was connected: the same server may count both).",
      }),
      first_started_at: described(Timestamp, 'When the first attempt started.'),
      first_greeting: nullable(ReplySchema, 'The greeting of the first attempt, when one arrived.'),
      first_error: nullable(ProbeErrorSchema, 'How the first attempt stopped, when it did.'),
      delay_ms: Type.Number({
        minimum: 0,
        description:
          'Milliseconds waited before the second attempt, once every other endpoint of the domain had finished (the back-off, RETRY_BACKOFF_MS).',
      }),
    },
    {
      description:
        'The first attempt at an endpoint, kept when the checker itself may have caused its failure and tried once more, one endpoint at a time, as senders do; the endpoint record is the second attempt.',
    },
  ),
);
export type Retry = Static<typeof RetrySchema>;

// ---------------------------------------------------------------- one endpoint

export const EndpointProbeSchema = definition(
  'EndpointProbe',
  closedObject(
    {
      mx: StringList('MX target names that lead to this address, by preference (one connection serves them all).'),
      preference: MxPreference('Best (lowest) preference among them.'),
      address: Type.String({ description: 'The IPv4 or IPv6 address probed.' }),
      family: Type.Enum([4, 6], { description: 'Address family: 4 or 6.' }),
      port: PortNumber('TCP port probed (25 outside tests).'),
      subject: Type.String({
        description: '"192.0.2.1:25" or "[2001:db8::1]:25": the subject of this endpoint\'s states.',
      }),
      started_at: described(Timestamp, 'When the endpoint probe started.'),
      timings: described(StageTimingsSchema, 'Stage timings.'),
      connected: Type.Boolean({ description: 'TCP connect succeeded.' }),
      greeting: nullable(ReplySchema, 'The greeting, whole (multi-line too); null when none arrived.'),
      greeting_host: nullable(
        Type.String(),
        'Host name announced in the greeting (first word after the code), when any.',
      ),
      ehlo: nullable(ReplySchema, 'First hello: EHLO, or HELO after an EHLO refusal.'),
      helo_fallback: Type.Boolean({ description: 'EHLO was refused and HELO was sent instead.' }),
      helo: nullable(ReplySchema, 'The HELO reply when HELO was sent after an EHLO refusal.'),
      extensions: nullable(ExtensionsSchema, 'Extensions advertised before TLS; null without an EHLO 250.'),
      starttls: described(StartTlsResultSchema, 'The STARTTLS step.'),
      ehlo_tls: nullable(
        ReplySchema,
        'The EHLO reply after TLS; null when TLS was not established or EHLO not answered.',
      ),
      extensions_tls: nullable(ExtensionsSchema, 'Extensions advertised after TLS.'),
      pipelined: Type.Boolean({
        description: 'Transactions ran pipelined (only when PIPELINING was advertised).',
      }),
      transactions: Type.Array(TransactionSchema, {
        description: 'The probe transactions (null sender, postmaster, open relay).',
      }),
      quit: nullable(ReplySchema, 'Reply to QUIT; null when not sent or not answered.'),
      error: nullable(ProbeErrorSchema, 'Why the dialogue stopped early; null when it reached QUIT.'),
      outstanding: StringList(
        'Commands sent whose replies had not arrived when the dialogue stopped: a pipelined group the server held back (error sleep, tarpitting); empty otherwise.',
      ),
      plaintext_fallback: nullable(
        closedObject(
          {
            connected: Type.Boolean({ description: 'The second connection was established.' }),
            greeting: nullable(ReplySchema, 'Its greeting.'),
            hello: nullable(ReplySchema, 'Its EHLO (or HELO) reply.'),
            error: nullable(ProbeErrorSchema, 'Why the second dialogue stopped early; null when it reached QUIT.'),
          },
          { description: 'The second connection, without STARTTLS.' },
        ),
        'After a failed TLS handshake, senders (Postfix smtp_tls_security_level = may, Exim tls_tempfail_tryclear) reconnect and deliver in plaintext: so does the checker, and the transactions then come from that connection. Null when there was no fallback.',
      ),
      reverse_dns: described(ReverseDnsSchema, 'PTR and forward-confirmed reverse DNS of the address.'),
      transcript: Type.Array(TranscriptLineSchema, {
        description: 'The dialogue as it happened, both directions, with timestamps.',
      }),
      transcript_truncated: Type.Boolean({ description: 'The transcript was cut at MAX_TRANSCRIPT_LINES.' }),
      bytes_received: Type.Integer({
        minimum: 0,
        description: 'Bytes read from the endpoint over the whole dialogue (plaintext and decrypted).',
      }),
      retry: nullable(
        RetrySchema,
        'The first attempt, when this record is a second one (a 421 greeting, or a refusal while another probe of the domain ran); null otherwise.',
      ),
    },
    { description: 'One probed address and port, and everything its dialogue showed.' },
  ),
);
export type EndpointProbe = Static<typeof EndpointProbeSchema>;

// ---------------------------------------------------------------- the checker's own network

export const EgressCanaryResultSchema = definition(
  'EgressCanaryResult',
  closedObject(
    {
      host: Type.String({ description: 'The canary as configured: a host name or an address.' }),
      port: PortNumber('The port dialled (25).'),
      address: nullable(Type.String(), 'The address dialled; null when the name did not resolve.'),
      outcome: Type.Enum(['connected', 'timeout', 'unreachable', 'refused', 'error', 'unresolved', 'cancelled'], {
        description:
          'connected (TCP connected: port 25 leaves this machine), timeout (no answer to the SYN), unreachable (no route), refused (an RST: often a filter on the path), error, unresolved (the name did not resolve, nothing dialled), cancelled (the collection was cut first).',
      }),
      greeting: nullable(Type.String(), 'The first line of its greeting, when one arrived.'),
      error: nullable(Type.String(), 'What went wrong, in words; null when it connected and greeted.'),
      connect_ms: nullable(Type.Number({ minimum: 0 }), 'TCP connect time, when it connected.'),
    },
    { description: 'One canary of the egress check.' },
  ),
);
export type EgressCanaryResult = Static<typeof EgressCanaryResultSchema>;

export const EgressCheckSchema = definition(
  'EgressCheck',
  closedObject(
    {
      outcome: Type.Enum(['reachable', 'blocked', 'unknown'], {
        description:
          "reachable (a canary connected: this machine reaches port 25, so the endpoints' failures are theirs), blocked (every canary dialled failed too: this machine cannot reach port 25 anywhere), unknown (no canary could be dialled).",
      }),
      canaries: Type.Array(EgressCanaryResultSchema, { description: 'Each canary and what dialling it gave.' }),
    },
    {
      description:
        'Run only when no endpoint connected and every failure was a connect timeout or no route: a TCP connection to large public MX hosts (canaries) tells whether this machine can reach port 25 at all.',
    },
  ),
);
export type EgressCheck = Static<typeof EgressCheckSchema>;

export const CutSchema = definition(
  'Cut',
  closedObject(
    {
      reason: Type.Enum(['cancelled', 'deadline'], {
        description: 'cancelled (the caller aborted the collection), deadline (its deadline ran out).',
      }),
      after_ms: Type.Number({ minimum: 0, description: 'When, in milliseconds after the collection started.' }),
      message: Type.String({ description: 'What happened, in words.' }),
    },
    {
      description:
        'The collection was cut short: DNS lookups still pending are recorded as timed out, endpoints not yet probed carry the error `cancelled` or `deadline`.',
    },
  ),
);
export type Cut = Static<typeof CutSchema>;

export const CapsSchema = definition(
  'Caps',
  closedObject(
    {
      max_mx_targets: Type.Integer({ minimum: 1, description: 'MX targets probed at most, best preference first.' }),
      max_endpoints: Type.Integer({ minimum: 1, description: 'Endpoints (distinct addresses) probed at most.' }),
      endpoints_over_cap: Type.Integer({
        minimum: 0,
        description:
          'Addresses of the probed MX targets over max_endpoints: never dialled. The first MAX_CAPPED_LISTED are endpoints with the error policy.capped; every address is in the DNS facts.',
      }),
    },
    {
      description:
        'The bounds this collection ran under, and what they left out. The endpoints probed are chosen in rounds: the first IPv4 and the first IPv6 address of each MX target in preference order, then the second of each, and so on.',
    },
  ),
);
export type Caps = Static<typeof CapsSchema>;

// ---------------------------------------------------------------- the document

export const ObservationOptionsSchema = definition(
  'ObservationOptions',
  closedObject(
    {
      timeout: Type.Number({
        exclusiveMinimum: 0,
        description: 'Time budget for one endpoint, connect to QUIT, in seconds.',
      }),
      helo_name: Type.String({ description: 'EHLO/HELO name used.' }),
      test_null_sender: Type.Boolean({ description: 'The null-sender probe was run.' }),
      test_postmaster: Type.Boolean({ description: 'The postmaster probe was run.' }),
      test_open_relay: Type.Boolean({ description: 'The open-relay probe was run.' }),
      test_probe_address: Type.String({ description: 'The relay-probe recipient actually used.' }),
      test_mail_from: Type.String({
        description:
          'The reverse-path of the postmaster and relay probes (the null-sender probe uses <>); a sender-verifying server must be able to resolve its domain.',
      }),
      probe_address_replaced: Type.Boolean({
        description: 'The requested probe address lay inside the tested domain and was replaced by the default.',
      }),
      port: PortNumber('SMTP port probed (25 outside tests).'),
      address_family: nullable(
        Type.Enum([4, 6]),
        'Only endpoints of this address family were probed (-4, -6); the others are recorded with the error `skipped`. Null: both families.',
      ),
    },
    { description: 'The options the collection actually ran with.' },
  ),
);
export type ObservationOptions = Static<typeof ObservationOptionsSchema>;

export const ObservationSchema = definition(
  'Observation',
  closedObject(
    {
      version: Type.Literal(OBSERVATION_VERSION, {
        description: 'Observation format version; bumped on any change of shape.',
      }),
      domain: Type.String({
        minLength: 1,
        description: 'The tested domain, A-label form, lower-case, no trailing dot.',
      }),
      collected_at: described(Timestamp, 'When collection started.'),
      duration_ms: Type.Number({ minimum: 0, description: 'How long collection took, in milliseconds.' }),
      checker: closedObject(
        {
          name: Type.String({ description: 'Checker name, "checker-smtp".' }),
          version: Type.String({ description: 'Checker version.' }),
        },
        { description: 'The checker that collected this observation.' },
      ),
      options: described(ObservationOptionsSchema, 'The options the collection actually ran with.'),
      dns: described(DnsFactsSchema, 'DNS posture of the domain.'),
      endpoints: Type.Array(EndpointProbeSchema, {
        description: 'One per distinct address, sorted by preference, then family (v4 first), then address.',
      }),
      egress: nullable(
        EgressCheckSchema,
        'The egress check, run only when no endpoint connected and every failure was a connect timeout or no route; null otherwise.',
      ),
      cut: nullable(CutSchema, 'Why and when the collection was cut short; null when it ran to the end.'),
      caps: described(CapsSchema, 'The bounds of this collection, and what they left out.'),
    },
    {
      description:
        'Everything collection saw, as one versioned JSON document: the only contract between collection (I/O) and the rules, report and metrics. Generated from src/model/observation.ts; any change of shape bumps `version`.',
    },
  ),
);
export type Observation = Static<typeof ObservationSchema>;
