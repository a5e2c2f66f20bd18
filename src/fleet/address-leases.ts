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
 * minute, a sliding one: the start times of the last minute's connections
 * to the address, in a sorted set, by Redis's clock (one Lua script, so
 * workers never both take the last place). A lease taken over the cap is
 * given back and asked again once the oldest start is a minute old. Not a
 * counter per calendar minute: that lets twice the cap through around the
 * turn of a minute (the cap at 11:59:59, the cap again at 12:00:00), and a
 * server's own rate limit counts over its own minutes (Postfix's anvil: a
 * "time unit" of its own), which need not begin when the clock's do.
 */
import { CheckerError } from '../model/errors.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
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

/**
 * Take a place among the last window's connection starts to one address (KEYS[1]) if fewer than the cap
 * (ARGV[1]) are there: 0; else how long, in milliseconds, until the oldest leaves the window (ARGV[2]).
 * Redis's clock: the workers' clocks need not agree for the cap.
 */
const RATE_SCRIPT = `
local cap = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < cap then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

export function redisAddressLeases(redis: Redis, options: RedisLeaseOptions): RedisAddressLeases {
  let lost = 0;
  let failed = 0;
  const tracked = new AsyncLocalStorage<LeaseTroubles>();
  const perMinute = options.perMinute ?? null;
  const windowMs = options.rateWindowMs ?? MINUTE_MS;

  /** Count one new connection among the last window's; when the cap is reached, not counted: how long to wait. */
  async function underRateCap(address: string): Promise<{ ok: true } | { ok: false; waitMs: number }> {
    if (perMinute === null) return { ok: true };
    const key = `${options.prefix}:rate:${address}`;
    const waitMs = Number(await redis.eval(RATE_SCRIPT, 1, key, perMinute, windowMs, randomUUID()));
    return waitMs === 0 ? { ok: true } : { ok: false, waitMs };
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
        // Our backend, not the checker's code nor the domain: said so on the line should every try fail.
        throw new CheckerError(
          'backend.unreachable',
          `The lease on ${address} could not be taken in Redis: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
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
