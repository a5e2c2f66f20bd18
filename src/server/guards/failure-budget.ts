/**
 * A per-client budget of failures in a fixed window: wrong access tokens,
 * counted on every route, so a guesser gets a handful of tries a minute
 * instead of a thousand a second. Memory is bounded: at most
 * MAX_TRACKED_CLIENTS windows are kept, expired ones swept first.
 */

/**
 * Clients tracked at once. A window is a few dozen bytes; ten thousand
 * guessing clients (each an IPv4 address or an IPv6 /64) cost well under a
 * megabyte, and past that the oldest window is forgotten first.
 */
export const MAX_TRACKED_CLIENTS = 10_000;

interface Window {
  failures: number;
  endsAt: number;
}

export class FailureBudget {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `key` may try again, or 0 when it still has failures left. */
  blockedFor(key: string): number {
    const w = this.windows.get(key);
    const now = this.now();
    if (w === undefined || w.endsAt <= now) return 0;
    return w.failures >= this.max ? w.endsAt - now : 0;
  }

  /** Counts one failure of `key`. */
  record(key: string): void {
    const now = this.now();
    const w = this.windows.get(key);
    if (w !== undefined && w.endsAt > now) {
      w.failures++;
      return;
    }
    this.windows.delete(key);
    if (this.windows.size >= MAX_TRACKED_CLIENTS) this.sweep(now);
    this.windows.set(key, { failures: 1, endsAt: now + this.windowMs });
  }

  get tracked(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    for (const [key, w] of this.windows) if (w.endsAt <= now) this.windows.delete(key);
    // Still full: forget the oldest windows (a Map iterates in insertion order).
    for (const key of this.windows.keys()) {
      if (this.windows.size < MAX_TRACKED_CLIENTS) break;
      this.windows.delete(key);
    }
  }
}
