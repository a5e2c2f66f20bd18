/**
 * What the fleet's end-to-end test of failing jobs
 * (test/integration/fleet-retries.test.ts) found in the Redis address
 * leases, pinned down here in a real Redis with short leases: a lost lease
 * counts against the job that held it and no other.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { decideSuite, suiteNeeding } from '../../test/prerequisites.js';
import { REDIS_HINT, redisMissing, startRedis, type RedisInstance } from '../../test/support/redis-server.js';
import { redisAddressLeases, type LeaseTroubles } from './address-leases.js';

let redis: RedisInstance;
let client: Redis;

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
    const held = (troubles: LeaseTroubles, address: string) =>
      leases.tracking(troubles, async () => {
        const lease = await leases.acquire(address);
        // Across awaits and past a few refreshes (every 200 ms), as a connection holds its lease.
        await new Promise((r) => setTimeout(r, 800));
        await lease.release();
      });
    const jobs = Promise.all([held(losing, '192.0.2.10'), held(beside, '192.0.2.11')]);
    await new Promise((r) => setTimeout(r, 100));
    // Gone from Redis, as after Redis was unreachable longer than leaseMs: the next refresh finds out.
    assert.equal(await client.del('semaphore:j1:address:192.0.2.10'), 1);
    await jobs;
    assert.deepEqual(losing, { lost: 1, failed: 0 });
    assert.deepEqual(beside, { lost: 0, failed: 0 });
    assert.equal(leases.lost, 1, 'and in the total');
  });
});
