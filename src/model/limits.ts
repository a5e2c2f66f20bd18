/**
 * Every bound the checker enforces, in one place. A hostile server costs at
 * most these; each number says where it comes from.
 */

/** Default per-endpoint budget in seconds, connect to QUIT (SPEC.md options). */
export const DEFAULT_TIMEOUT_S = 12;
/** Smallest and largest accepted `timeout`: below 1 s nothing real completes; above 5 min a check is a hang. */
export const MIN_TIMEOUT_S = 1;
export const MAX_TIMEOUT_S = 300;

/**
 * Longest reply line we accept, bytes without CRLF. RFC 5321 §4.5.3.1.5 sets
 * 512 octets including CRLF; real servers overshoot (long banners, AUTH lists),
 * so allow 8x before calling it hostile.
 */
export const MAX_REPLY_LINE_BYTES = 4096;

/** Most lines in one reply. EHLO replies run to ~30 lines in practice. */
export const MAX_REPLY_LINES = 256;

/**
 * Most bytes read from one endpoint over its whole dialogue (plaintext and
 * decrypted). A full probe exchanges a few KiB; this is room for 30x that.
 */
export const MAX_ENDPOINT_BYTES = 256 * 1024;

/**
 * After QUIT was answered, how long the checker waits for the server to
 * close before releasing the connection itself. RFC 5321 §4.1.1.10: the
 * server closes right after its 221, so this is one round trip in practice;
 * waiting (and reading) until then is what keeps a normal dialogue from
 * ending in a reset on the server's side.
 */
export const CLOSE_GRACE_MS = 1000;

/** Most transcript entries kept per endpoint (bounded anyway by the bytes above). */
export const MAX_TRANSCRIPT_LINES = 2000;

/**
 * Certificates whose description a process keeps (describe-tls.ts), by
 * fingerprint: a certificate is a few KiB, so this is a few MiB at most, and
 * more distinct certificates than this in a run only means parsing again.
 */
export const CERTIFICATE_MEMO_ENTRIES = 1024;

/**
 * How long a bulk run resumes the TLS session of a full handshake
 * (tls-sessions.ts): past this, the next connection to that MX makes a full
 * handshake again, so a reported chain was seen at most this long before.
 */
export const TLS_RESUME_MAX_AGE_MS = 10 * 60 * 1000;
/** MX (address, port, SNI name) whose session a run keeps: a few KiB each (ticket, chain). */
export const TLS_RESUME_MAX_ENTRIES = 2000;

/** Endpoints of one domain probed at once: a domain costs about one endpoint's time. */
export const MAX_PARALLEL_ENDPOINTS = 16;

/** Per-query DNS timeout and attempts (c-ares): 2 s x 2 keeps DNS well inside one endpoint budget. */
export const DNS_TIMEOUT_MS = 2000;
export const DNS_TRIES = 2;
/**
 * Questions one DNS client has outstanding at once; more wait their turn. A
 * bulk run of a thousand domains would otherwise send a thousand UDP queries
 * in one burst, and a resolver's socket buffer drops most of them (each then
 * costs the full timeout). One domain asks a few dozen at most.
 */
export const DNS_MAX_IN_FLIGHT = 64;

/** CNAME hops followed for an MX target before giving up (loops, long chains). */
export const MAX_CNAME_HOPS = 8;

/** PTR names checked for forward confirmation (a PTR RRset is almost always one name). */
export const MAX_PTR_NAMES = 4;

/**
 * MX targets probed per check, best preference first: RFC 5321 §5.1 senders
 * try them in that order, and the largest mailbox providers publish 5 (Gmail,
 * Yahoo) or fewer. Each target may resolve to any number of addresses, so
 * this also bounds the A/AAAA lookups a zone can make one check send.
 */
export const MAX_MX_TARGETS = 10;

/**
 * MX records a host's service payload may carry (more is refused, 400), and
 * MX names one observation lists: the probed ones, then those over the cap
 * as not probed. More than this is misconfiguration or abuse.
 */
export const MAX_MX_RECORDS = 32;

/**
 * Endpoints (distinct addresses) probed per check by default. Gmail publishes
 * 5 MX names with one IPv4 and one IPv6 address each (10 endpoints), Outlook
 * one name with 4-8 addresses, Yahoo 3 names with 4 each (12): 32 covers
 * every large provider with room to spare, while one check of a zone with
 * 10 MX × 64 A (640 addresses, each sent a RCPT TO of the caller's choice)
 * costs 32 connections, not 640. Settable: `--max-endpoints`, `maxEndpoints`.
 */
export const DEFAULT_MAX_ENDPOINTS = 32;
/** Largest settable endpoint cap: the service's whole connection bound, MAX_OPEN_CONNECTIONS. */
export const MAX_ENDPOINTS_CEILING = 256;

/**
 * Endpoints over the cap listed one by one in the observation (error
 * `policy.capped`, never dialled, no reverse DNS asked); the rest are counted
 * in `caps.endpoints_over_cap`. Their addresses stay in the DNS facts. A
 * DNS answer may hold thousands of addresses: the observation must not.
 */
export const MAX_CAPPED_LISTED = 32;

/**
 * SMTP connections open at once across the whole process (all requests of a
 * service). Each costs a socket and a TLS context; 256 keeps a busy service
 * far below default fd limits while allowing many domains in flight.
 */
export const MAX_OPEN_CONNECTIONS = 256;

/**
 * Connections open at once to one address, across all requests: politeness.
 * Receivers rate-limit concurrent sessions per client (Postfix
 * smtpd_client_connection_count_limit, postscreen); one at a time never trips
 * them, and a shared MX of many domains is queued, not hammered.
 */
export const MAX_CONNECTIONS_PER_ADDRESS = 1;

/**
 * Fair sharing of the connection gate between checks: a check that already
 * holds GATE_GUARANTEED_PER_OWNER connections may open more only while
 * GATE_RESERVE_FRACTION of the slots stay free (64 of 256). Those last slots
 * are for checks holding fewer, so a check that arrives while others fill the
 * gate with tarpits still gets its first connections at once. Four covers a
 * typical domain (2 MX × 2 addresses) in one round.
 */
export const GATE_GUARANTEED_PER_OWNER = 4;
export const GATE_RESERVE_FRACTION = 0.25;

/**
 * Longest a probe of the service waits in the connection gate's line (for a
 * global or a per-address slot) before it is recorded as not probed
 * (`queue.timeout`). Above one default endpoint budget (12 s), so a probe
 * queued behind one tarpit holding its address still gets its turn; well
 * inside the collect deadline (44 s) and a host's 120 s HTTP timeout.
 */
export const DEFAULT_QUEUE_WAIT_S = 15;

/**
 * DNS cache (opt-in, for bulk runs and long-lived services): answers kept at
 * most this many at once (least recently used dropped first); a bulk run of
 * thousands of domains asks a few names per domain.
 */
export const DNS_CACHE_MAX_ENTRIES = 10_000;
/** Longest a positive answer is kept, whatever its TTL: a long-running service re-asks hourly. */
export const DNS_CACHE_MAX_TTL_S = 3600;
/**
 * node:dns reports TTLs for A/AAAA only. MX, CNAME and PTR answers are kept
 * this long at most: shorter than almost any published TTL, long enough for
 * one bulk run to share a hosting provider's MX names.
 */
export const DNS_CACHE_UNREPORTED_TTL_S = 30;
/**
 * NXDOMAIN/NODATA are cached (RFC 2308) for this long: node:dns hides the SOA
 * whose MINIMUM would set it, and an operator who just fixed a missing record
 * should see the fix on the next check.
 */
export const DNS_CACHE_NEGATIVE_TTL_S = 30;

/**
 * Domains whose transactions share one SMTP session in collectMany(). Each
 * domain's relay probe is refused (that is the healthy answer), and a refused
 * recipient counts as an error in Postfix: past smtpd_soft_error_limit (10)
 * every reply is delayed a second, at smtpd_hard_error_limit (20) the session
 * is cut. Five domains make five errors in the healthy case and ten if every
 * postmaster is refused too (where the slow-down would start; the cut stays
 * far off), while a session serves five domains for one handshake. A session
 * cut anyway costs no answers: collectMany() probes the domains it left
 * unanswered again, each alone. RSETs stay far below smtpd_junk_command_limit (100).
 */
export const DOMAINS_PER_SESSION = 5;

/**
 * Per-domain deadline of collect(), covering DNS and every probe:
 * COLLECT_DEADLINE_BUDGETS endpoint budgets (the parallel probes, then one
 * retry round or the egress check) plus COLLECT_DEADLINE_DNS_S for DNS (five
 * lookups in a row at DNS_TIMEOUT_MS × DNS_TRIES: the MX, the resolver
 * check's two questions, a target's CNAME and address). 44 s with the default
 * 12 s budget: a check that has not finished then is stuck, and what is left
 * is recorded as cut, not waited for.
 */
export const COLLECT_DEADLINE_BUDGETS = 2;
export const COLLECT_DEADLINE_DNS_S = 20;

/** The default deadline of one collect() for a per-endpoint budget of `timeoutS` seconds. */
export function defaultCollectDeadlineMs(timeoutS: number): number {
  return (COLLECT_DEADLINE_BUDGETS * timeoutS + COLLECT_DEADLINE_DNS_S) * 1000;
}

/**
 * Wait before probing again an endpoint that answered 421 at the greeting
 * (or refused us while another probe of the domain ran). Exim and Postfix
 * free a connection slot as soon as the session's process exits, well within
 * a second; senders retry much later, but the checker runs while a person
 * waits.
 */
export const RETRY_BACKOFF_MS = 1500;

/**
 * Longest wait for a canary's TCP connect and greeting in the egress check
 * (the endpoint budget when that is shorter). A large public MX connects in
 * well under a second from anywhere it is reachable; five seconds is a
 * blocked port, not a slow one.
 */
export const EGRESS_CANARY_TIMEOUT_S = 5;

// ---------------------------------------------------------------- the HTTP service (serve)

/**
 * Longest a client may take to send its request headers. Headers are a few
 * hundred bytes (16 KiB at most for node); any real client sends them in
 * milliseconds. Node's default (60 s) let a client that trickles them hold
 * a socket a minute each.
 */
export const HTTP_HEADERS_TIMEOUT_S = 10;

/**
 * Longest a client may take to send its whole request, body included. The
 * body is at most 1 MiB (PROTOCOL.md): 30 s is 35 KB/s, slower than any link
 * a host or a browser uses. Node's default (300 s) let a body that trickles
 * in a byte at a time hold a socket five minutes (issue 12: 20,000 of them
 * exhausted the file descriptors).
 */
export const HTTP_REQUEST_TIMEOUT_S = 30;

/**
 * How long an idle keep-alive connection stays open between requests. Long
 * enough that a host driving collect → evaluate → report reuses it, short
 * enough that idle sockets do not pile up.
 */
export const HTTP_KEEP_ALIVE_TIMEOUT_S = 10;

/** Requests served on one keep-alive connection before it is closed: no socket lives for ever. */
export const HTTP_MAX_REQUESTS_PER_SOCKET = 1000;

/**
 * How often node checks the header and request deadlines of open
 * connections. Its default (30 s) lets a deadline overrun by as much; one
 * second costs one walk over at most HTTP_MAX_CONNECTIONS sockets.
 */
export const HTTP_DEADLINE_CHECK_INTERVAL_MS = 1000;

/**
 * Client connections open at once, all clients together. Each is a file
 * descriptor: with the SMTP connections (MAX_OPEN_CONNECTIONS) and DNS this
 * stays far below the usual limit of 1,024. One more is answered 503 and
 * closed at once.
 */
export const HTTP_MAX_CONNECTIONS = 512;

/**
 * Client connections open at once from one client (an IPv4 address, an IPv6
 * /64): enough for a host running many checks in parallel, an eighth of
 * HTTP_MAX_CONNECTIONS so that one client alone cannot take them all. A
 * trusted proxy (--trust-proxy) is not held to it: all its clients share
 * its address.
 */
export const HTTP_MAX_CONNECTIONS_PER_CLIENT = 64;

/**
 * Longest a collect may take in the service, whatever its options (a
 * timeout of 300 s per endpoint included): happyDomain's HTTP client gives
 * up after 120 s, and the answer still has to be written and travel.
 * What is not done by then is recorded as cut (see collect()).
 */
export const SERVICE_COLLECT_DEADLINE_S = 100;

/**
 * Silence on a client socket, both ways, after which it is closed: longer
 * than a request may wait for its answer (the collect deadline) by this
 * margin, so it only ever closes a client that stopped reading.
 */
export const HTTP_IDLE_MARGIN_S = 20;

/**
 * Wrong access tokens one client may send per minute, on any route; past
 * them, every request of that client that needs the token is answered 429
 * until the minute is over. A person mistypes a token a few times; a
 * guesser sends thousands (issue 12: about 1,000 a second).
 */
export const MAX_TOKEN_FAILURES_PER_MINUTE = 10;
