/**
 * Politeness across a fleet: the connection gate's per-address lease
 * (AddressLeases) held in Redis with redis-semaphore, so that at most
 * `perAddress` connections are open to one destination address across
 * every worker on every machine.
 *
 * A lease is a member of a sorted set scored with its holder's clock; the
 * holder refreshes it every third of `leaseMs`, so a worker that dies
 * (SIGKILL, a lost machine) stops refreshing and its leases expire within
 * `leaseMs`: a crash never locks an address. Clocks of the machines must
 * agree to well within `leaseMs` (NTP), since expiry compares them.
 *
 * Optionally, at most `perMinute` new connections to one address in any
 * minute (a fixed window counter per address and minute, INCR + PEXPIRE):
 * a lease taken over the cap is given back and asked again in the next
 * window.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Redis } from 'ioredis';
import { Semaphore } from 'redis-semaphore';
import type { AddressLease, AddressLeases } from '../collect/connection-gate.js';
import { FLEET_LEASE_RETRY_MS, FLEET_LEASE_WAIT_MAX_MS } from '../model/fleet-limits.js';

export interface RedisLeaseOptions {
  /** Connections open at once to one address across the fleet. */
  perAddress: number;
  /** A lease not refreshed for this long is gone (a dead worker's). */
  leaseMs: number;
  /** New connections to one address per minute across the fleet (null: no cap). */
  perMinute?: number | null;
  /** Key prefix in Redis, shared by the fleet (the queue's). */
  prefix: string;
  /** The window of `perMinute` (a minute; shorter in tests). */
  rateWindowMs?: number;
}

/** Lease troubles of one piece of work (a job), apart from the others sharing the leases. */
export interface LeaseTroubles {
  /** Leases lost while held (a refresh found them gone: Redis was unreachable longer than leaseMs). */
  lost: number;
  /** Acquisitions that failed (Redis unreachable, or the wait ran out). */
  failed: number;
}

export interface RedisAddressLeases extends AddressLeases, Readonly<LeaseTroubles> {
  /**
   * Runs `fn`, counting in `troubles` the troubles of the leases taken inside it (across awaits), and only
   * those: a worker's jobs share one gate and these leases, and one job losing a lease on its address says
   * nothing of the connections of the jobs beside it.
   */
  tracking<T>(troubles: LeaseTroubles, fn: () => Promise<T>): Promise<T>;
}

const MINUTE_MS = 60_000;

export function redisAddressLeases(redis: Redis, options: RedisLeaseOptions): RedisAddressLeases {
  let lost = 0;
  let failed = 0;
  const tracked = new AsyncLocalStorage<LeaseTroubles>();
  const perMinute = options.perMinute ?? null;
  const windowMs = options.rateWindowMs ?? MINUTE_MS;

  /** Count one new connection in this minute's window; false when the cap is reached (the count is not kept). */
  async function underRateCap(address: string): Promise<{ ok: true } | { ok: false; waitMs: number }> {
    if (perMinute === null) return { ok: true };
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const key = `${options.prefix}:rate:${address}:${window}`;
    const count = await redis.incr(key);
    if (count === 1) await redis.pexpire(key, 2 * windowMs);
    if (count <= perMinute) return { ok: true };
    await redis.decr(key);
    return { ok: false, waitMs: (window + 1) * windowMs - now };
  }

  return {
    get lost() {
      return lost;
    },
    get failed() {
      return failed;
    },
    tracking: (troubles, fn) => tracked.run(troubles, fn),
    async acquire(address: string): Promise<AddressLease> {
      // Whose lease this is, read now: the refresh that finds it lost runs later, on a timer.
      const troubles = tracked.getStore();
      try {
        return await acquireLease(address, () => {
          lost++;
          if (troubles) troubles.lost++;
        });
      } catch (err) {
        failed++;
        if (troubles) troubles.failed++;
        throw err;
      }
    },
  };

  async function acquireLease(address: string, onLost: () => void): Promise<AddressLease> {
    const started = Date.now();
    for (;;) {
      const semaphore = new Semaphore(redis, `${options.prefix}:address:${address}`, options.perAddress, {
        lockTimeout: options.leaseMs,
        refreshInterval: Math.max(1, Math.floor(options.leaseMs / 3)),
        acquireTimeout: Math.max(1, FLEET_LEASE_WAIT_MAX_MS - (Date.now() - started)),
        retryInterval: FLEET_LEASE_RETRY_MS,
        onLockLost: () => {
          // The connection goes on (cutting it would spoil the domain's result); the bound may be
          // exceeded once, and the worker fails the job so it is redone with a healthy backend.
          onLost();
        },
      });
      await semaphore.acquire();
      const rate = await underRateCap(address).catch(async (err: unknown) => {
        await semaphore.release().catch(() => undefined);
        throw err;
      });
      if (rate.ok) {
        return {
          async release() {
            // A lease that cannot be given back (Redis gone) expires within leaseMs on its own.
            await semaphore.release().catch(() => undefined);
          },
        };
      }
      await semaphore.release().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, rate.waitMs));
    }
  }
}
