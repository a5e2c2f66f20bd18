/**
 * Retry what the checker itself may have caused. The probes of one domain
 * run in parallel, and a server reached under several MX names (two
 * addresses of one Exim with smtp_accept_max = 1, a Postfix with a
 * per-client connection limit) sees them as one client with too many
 * connections: it answers 421 at the greeting, or refuses or drops the
 * connection before greeting. Real senders try MX hosts one after another,
 * so such an endpoint is tried once more, alone, after the others finished
 * and a short back-off; only the second answer is judged. In bulk
 * (collectMany) a shared session's members try again together, as one
 * session, and addresses that may be one server one session at a time.
 */
import type { EndpointProbe, Retry } from '../model/observation.js';
import { RETRY_BACKOFF_MS } from '../model/limits.js';

/** RFC 5321 §3.8 / §4.2.3: "Service not available, closing transmission channel". */
const SERVICE_NOT_AVAILABLE = 421;

function window(e: EndpointProbe): { start: number; end: number } {
  const start = Date.parse(e.started_at);
  return { start, end: start + e.timings.total_ms };
}

/**
 * Another endpoint of the domain was connected while `e` was tried, or had
 * just closed (within the back-off: a server may still count it).
 */
function besideAnotherProbe(e: EndpointProbe, endpoints: readonly EndpointProbe[]): boolean {
  const mine = window(e);
  return endpoints.some((o) => {
    if (o === e || !o.connected) return false;
    const theirs = window(o);
    return theirs.start <= mine.end && mine.start <= theirs.end + RETRY_BACKOFF_MS;
  });
}

/** Why `e` deserves a second attempt (null when its answer stands). */
export function retryReason(e: EndpointProbe, endpoints: readonly EndpointProbe[]): Retry['reason'] | null {
  if (e.retry !== null) return null;
  if (e.greeting?.code === SERVICE_NOT_AVAILABLE) return 'greeting_421';
  if (!besideAnotherProbe(e, endpoints)) return null;
  if (!e.connected && e.error?.code === 'connect.refused') return 'connect_refused';
  const droppedBeforeGreeting =
    e.connected &&
    e.greeting === null &&
    e.error?.phase === 'greeting' &&
    (e.error.code === 'closed' || e.error.code === 'reset');
  return droppedBeforeGreeting ? 'closed_before_greeting' : null;
}

/** The second attempt, carrying the first. */
export function withFirstAttempt(
  second: EndpointProbe,
  first: EndpointProbe,
  reason: Retry['reason'],
  delayMs: number,
): EndpointProbe {
  return {
    ...second,
    retry: {
      reason,
      first_started_at: first.started_at,
      first_greeting: first.greeting,
      first_error: first.error,
      delay_ms: delayMs,
    },
  };
}

/** A first attempt not taken as the server's answer, and why. */
export interface FirstAttempt {
  first: EndpointProbe;
  reason: Retry['reason'];
}

/**
 * The second attempt: the back-off (ended at once by `signal`), then
 * `again()`, which answers one probe per first attempt, in order (one
 * endpoint, or every member of a shared session). Each carries its first
 * attempt; its delay runs from the start of the back-off to its own start.
 */
export async function tryAgain(
  firsts: readonly FirstAttempt[],
  again: () => Promise<EndpointProbe[]>,
  signal: AbortSignal,
): Promise<EndpointProbe[]> {
  const waitStarted = Date.now();
  await backOff(RETRY_BACKOFF_MS, signal);
  const seconds = await again();
  return seconds.map((second, i) => {
    const { first, reason } = firsts[i]!;
    return withFirstAttempt(second, first, reason, Math.max(0, Date.parse(second.started_at) - waitStarted));
  });
}

/**
 * Addresses that may be one server, as far as the checker can tell: those
 * one domain lists together (its MX addresses), and so on transitively. Each
 * address maps to one address of its group. A server reached under two of
 * them counts our connections to both (Exim's smtp_accept_max), so second
 * attempts within a group go one at a time.
 */
export function addressGroups(domains: readonly (readonly string[])[]): Map<string, string> {
  const parent = new Map<string, string>();
  const root = (a: string): string => {
    let r = a;
    while (parent.get(r) !== r) r = parent.get(r)!;
    // Path compression: a bulk run's thousands of addresses stay a step or two from their group's root.
    for (let x = a; x !== r;) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  for (const addresses of domains) {
    for (const a of addresses) if (!parent.has(a)) parent.set(a, a);
    const [head] = addresses;
    for (const a of addresses.slice(1)) parent.set(root(a), root(head!));
  }
  return new Map([...parent.keys()].map((a) => [a, root(a)]));
}

/** Resolves after `ms`, or at once when `signal` fires. */
export function backOff(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
