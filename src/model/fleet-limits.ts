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
