/**
 * The per-client rate limit of a hosted deployment, counted in endpoints
 * probed: what a check costs the world is its connections (each one a
 * greeting, EHLO, STARTTLS and a RCPT TO of the caller's choice), not the one
 * request that asked for them. A check costs one unit per endpoint it dials
 * (at least one: its DNS lookups), any other work request one. Fixed windows
 * of RATE_LIMIT_WINDOW_MS per client address, like @fastify/rate-limit's
 * default store.
 */
import { RATE_LIMIT_WINDOW_MS } from '../config/service-settings.js';

/**
 * Clients remembered at most: past this, windows that have ended are swept
 * (they hold nothing), so a flood of addresses costs a bounded map.
 */
const SWEEP_ABOVE_CLIENTS = 10_000;

export type Charge = { ok: true; left: number } | { ok: false; left: number; retryAfterS: number };

export class EndpointBudget {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(
    /** Units per client per window. */
    readonly perWindow: number,
    readonly windowMs: number = RATE_LIMIT_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  private window(client: string): { start: number; used: number } {
    const at = this.now();
    let w = this.windows.get(client);
    if (!w || at - w.start >= this.windowMs) {
      if (!w && this.windows.size >= SWEEP_ABOVE_CLIENTS) this.sweep(at);
      w = { start: at, used: 0 };
      this.windows.set(client, w);
    }
    return w;
  }

  private sweep(at: number): void {
    for (const [client, w] of this.windows) if (at - w.start >= this.windowMs) this.windows.delete(client);
  }

  /** Spend `units` of `client`'s budget, or nothing at all when fewer are left. */
  charge(client: string, units: number): Charge {
    const w = this.window(client);
    const left = this.perWindow - w.used;
    if (units > left) {
      return { ok: false, left, retryAfterS: Math.max(1, Math.ceil((w.start + this.windowMs - this.now()) / 1000)) };
    }
    w.used += units;
    return { ok: true, left: left - units };
  }
}
