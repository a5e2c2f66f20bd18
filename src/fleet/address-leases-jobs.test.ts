/**
 * What the fleet's end-to-end tests (test/integration/fleet-retries.test.ts,
 * fleet-rate-cap.test.ts) found in the Redis address leases, pinned down
 * here in a real Redis with short leases and windows: a lost lease counts
 * against the job that held it and no other, and the per-minute cap is a
 * bound on every window's length of time, not on calendar windows (two of
 * which let twice the cap through around their boundary).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { decideSuite, suiteNeeding } from '../../test/prerequisites.js';
import { REDIS_HINT, redisMissing, startRedis, type RedisInstance } from '../../test/support/redis-server.js';
import { redisAddressLeases, type LeaseTroubles } from './address-leases.js';

let redis: RedisInstance;
let client: Redis;

/** Resolves once `ready()` holds; a generous bound for a loaded machine (the leases refresh every 200 ms). */
async function until(ready: () => boolean, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const decision = decideSuite({ suite: 'fleet leases', missing: redisMissing(), hint: REDIS_HINT });

suiteNeeding('redisAddressLeases() under jobs', decision, () => {
  before(async () => {
    redis = await startRedis();
    client = new Redis({ host: redis.host, port: redis.port, maxRetriesPerRequest: null });
  });

  after(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('counts a lost lease against the job that held it, not the jobs beside it', async () => {
    const leases = redisAddressLeases(client, { perAddress: 1, leaseMs: 600, prefix: 'j1' });
    const losing: LeaseTroubles = { lost: 0, failed: 0 };
    const beside: LeaseTroubles = { lost: 0, failed: 0 };
    let held = 0;
    // Each job holds its lease, across awaits, until a refresh (every 200 ms) has found the wiped one gone.
    const job = (troubles: LeaseTroubles, address: string) =>
      leases.tracking(troubles, async () => {
        const lease = await leases.acquire(address);
        held++;
        await until(() => leases.lost > 0);
        await lease.release();
      });
    const jobs = Promise.all([job(losing, '192.0.2.10'), job(beside, '192.0.2.11')]);
    await until(() => held === 2);
    // Gone from Redis, as after Redis was unreachable longer than leaseMs: the next refresh finds out.
    assert.equal(await client.del('semaphore:j1:address:192.0.2.10'), 1);
    await jobs;
    assert.deepEqual(losing, { lost: 1, failed: 0 });
    assert.deepEqual(beside, { lost: 0, failed: 0 });
    assert.equal(leases.lost, 1, 'and in the total');
  });

  it('lets at most perMinute connections start in any window of time, across a calendar window’s boundary', async () => {
    const windowMs = 2_000;
    const leases = redisAddressLeases(client, {
      perAddress: 4,
      leaseMs: 5_000,
      perMinute: 2,
      rateWindowMs: windowMs,
      prefix: 'j2',
    });
    const starts: number[] = [];
    const connect = async () => {
      const lease = await leases.acquire('192.0.2.12');
      starts.push(Date.now());
      await lease.release();
    };
    // Two just before a calendar window ends, two just after the next began: a counter per calendar window
    // lets all four through within ~170 ms.
    await new Promise((r) => setTimeout(r, 2 * windowMs - (Date.now() % windowMs) - 150));
    await Promise.all([connect(), connect()]);
    await new Promise((r) => setTimeout(r, windowMs - (Date.now() % windowMs) + 20));
    await Promise.all([connect(), connect()]);
    starts.sort((a, b) => a - b);
    const spans = starts.slice(2).map((t, i) => t - starts[i]!);
    // Half a window of slack for a loaded machine (the starts are taken here, after Redis answered).
    assert.ok(
      spans.every((ms) => ms >= windowMs / 2),
      `the third start after any two waits for the first to leave the window (${spans.join(', ')} ms)`,
    );
  });
});
