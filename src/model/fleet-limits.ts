/**
 * Bounds of a batch run and of its fleet summary: what a list of a million
 * domains may cost in memory and time. Each number says why.
 */

/**
 * Domains in flight by default (`--concurrency`): enough that every shared
 * MX always has a session queued at the connection gate while earlier
 * chunks finish (four chunks of BATCH_CHUNK_DOMAINS), few enough that a
 * crash loses little and memory stays small (an observation is ~10 KiB).
 */
export const BATCH_DEFAULT_CONCURRENCY = 400;
/** Most domains in flight: the gate's global bound is 256 connections, and a crash loses the in-flight domains. */
export const BATCH_MAX_CONCURRENCY = 10_000;

/**
 * Domains handed to one collectMany() call. Sessions are shared only within
 * a call, five domains a session (DOMAINS_PER_SESSION): 50 gives ten such
 * sessions per shared MX address, while a chunk's results (written when its
 * slowest domain is done) stay a small part of the window.
 */
export const BATCH_CHUNK_DOMAINS = 100;
/** Chunks in flight at least, so a chunk waiting on its slowest domain never leaves the gate idle. */
export const BATCH_MIN_CHUNKS_IN_FLIGHT = 4;

/**
 * After Ctrl-C, how long the domains in flight may take to finish before
 * they are cut and recorded as not done (resume checks them again): a
 * healthy chunk finishes in seconds; one waiting on silent servers would
 * hold the terminal for a whole time budget and more.
 */
export const BATCH_INTERRUPT_GRACE_MS = 10_000;

/** Progress line interval when stderr is not a terminal: often enough to see it move, rare enough for a log. */
export const BATCH_PROGRESS_INTERVAL_MS = 5_000;

/**
 * Domains listed by name per list of the fleet summary (open relays,
 * unreachable, errors, status changes): the counts stay exact, the lists
 * stop here ("and N more"), so a million unreachable domains cost 1,000 rows.
 */
export const FLEET_LISTED_MAX = 1_000;
/** MX providers shown in the summary, most domains first. */
export const FLEET_TOP_PROVIDERS = 25;
/** Finding codes shown in the terminal summary (the HTML shows them all). */
export const FLEET_TOP_FINDINGS_TEXT = 8;
/**
 * Distinct MX providers counted exactly. Past this the least-seen half is
 * dropped (lossy counting), and the summary says by how much a count may
 * fall short: a provider serving many domains shows up early and stays.
 */
export const FLEET_PROVIDERS_TRACKED = 100_000;
/**
 * Distinct finding codes counted; more can only come from a file another
 * program wrote (the checker has about a hundred): they are counted as one.
 */
export const FLEET_CODES_TRACKED = 1_000;

/**
 * Distributed mode (`batch --queue`, `worker`).
 *
 * How long a worker may go silent before its job is given to another and
 * its address leases expire (`--stall-timeout`): BullMQ renews a job's lock
 * every half of this, redis-semaphore a lease every third, so a busy but
 * living worker never loses either; a SIGKILLed one frees both within it.
 */
export const FLEET_STALL_TIMEOUT_MS = 30_000;
/** Shortest --stall-timeout: below a second, a loaded machine's pauses (GC, a busy event loop) would pass for deaths. */
export const FLEET_MIN_STALL_TIMEOUT_MS = 1_000;
/** Longest --stall-timeout: a crash may hold an address and a job this long. */
export const FLEET_MAX_STALL_TIMEOUT_MS = 10 * 60_000;
/**
 * Tries of one job (a chunk): a worker that fails it (its Redis lease
 * backend gone, say) or dies on it twice leaves a third try to another; a
 * chunk that still fails gets error lines, so the run ends and nothing is
 * lost silently.
 */
export const FLEET_JOB_ATTEMPTS = 3;
/** A failed job's next try waits this long (doubling): a Redis blip or a restart of the fleet passes. */
export const FLEET_JOB_BACKOFF_MS = 2_000;
/** Times a job may be found stalled (its worker died) and put back before it counts as failed. */
export const FLEET_MAX_STALLED = 2;
/**
 * Domains the coordinator keeps in the queue and not yet written, by
 * default (`batch --queue --concurrency N`): work ready for 25 workers of 4
 * chunks each, while Redis holds ~10 KiB a domain in flight (100 MiB),
 * whatever the list's length.
 */
export const FLEET_QUEUED_DOMAINS_DEFAULT = 10_000;
/** Most domains a coordinator may keep queued: a fleet of 250 workers; ~1 GiB of Redis. */
export const FLEET_QUEUED_DOMAINS_MAX = 100_000;
/**
 * The coordinator looks for finished jobs this often: a chunk takes seconds, so a quarter second adds
 * little to a line's delay, and one query every 250 ms costs Redis nothing.
 */
export const FLEET_DRAIN_INTERVAL_MS = 250;
/** Finished jobs fetched from Redis per round of the coordinator. */
export const FLEET_DRAIN_PAGE = 50;
/**
 * A wait for an address lease gives up after this and fails the job (tried
 * again later): far beyond any session (a time budget is 2 minutes at most)
 * times the workers queued on one address.
 */
export const FLEET_LEASE_WAIT_MAX_MS = 30 * 60_000;
/**
 * Between two tries for a busy address lease: redis-semaphore polls; a
 * handover between workers costs at most this, a small part of a session
 * (~300 ms at 50 ms RTT), and a hundred waiters cost Redis 5,000 calls a
 * second at most.
 */
export const FLEET_LEASE_RETRY_MS = 20;
/** Most connections a minute to one address (`--connections-per-minute`): beyond this the cap caps nothing a session could reach. */
export const FLEET_MAX_CONNECTIONS_PER_MINUTE = 600;
/** How long a connection to Redis or PostgreSQL may take at start before the command says it cannot reach it. */
export const FLEET_CONNECT_TIMEOUT_MS = 5_000;
