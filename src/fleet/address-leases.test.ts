/**
 * Address leases in a real Redis (a private redis-server on loopback): the
 * bound holds across workers (separate connections), a dead holder's lease
 * expires, and the per-minute cap makes the next connection wait for the
 * next window.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { decideSuite, suiteNeeding } from '../../test/prerequisites.js';
import { REDIS_HINT, redisMissing, startRedis, type RedisInstance } from '../../test/support/redis-server.js';
import { redisAddressLeases } from './address-leases.js';

let redis: RedisInstance;
const clients: Redis[] = [];

function client(): Redis {
  const c = new Redis({ host: redis.host, port: redis.port, maxRetriesPerRequest: null });
  clients.push(c);
  return c;
}

const decision = decideSuite({ suite: 'fleet leases', missing: redisMissing(), hint: REDIS_HINT });

suiteNeeding('redisAddressLeases()', decision, () => {
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await redis?.stop();
  });

  it('holds at most perAddress leases per address across workers', async () => {
    const workers = [0, 1, 2].map(() => redisAddressLeases(client(), { perAddress: 2, leaseMs: 5_000, prefix: 't1' }));
    let open = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 9 }, async (_, i) => {
        const lease = await workers[i % 3]!.acquire('192.0.2.1');
        open++;
        peak = Math.max(peak, open);
        await new Promise((r) => setTimeout(r, 30));
        open--;
        await lease.release();
      }),
    );
    assert.equal(peak, 2);
  });

  it("frees a dead worker's lease once leaseMs passes without a refresh", async () => {
    // The holder is a process killed with SIGKILL while it holds the lease, as a worker dies.
    const code = `
      import { Redis } from 'ioredis';
      import { redisAddressLeases } from ${JSON.stringify(new URL('./address-leases.ts', import.meta.url).href)};
      const leases = redisAddressLeases(new Redis(${redis.port}, ${JSON.stringify(redis.host)}), { perAddress: 1, leaseMs: 1000, prefix: 't2' });
      await leases.acquire('192.0.2.2');
      console.log('held');
      setInterval(() => undefined, 1000);
    `;
    const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const alive = redisAddressLeases(client(), { perAddress: 1, leaseMs: 1_000, prefix: 't2' });
    // Held (and refreshed) while the holder lives.
    let got = false;
    const waiting = alive.acquire('192.0.2.2').then((l) => ((got = true), l));
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(got, false, 'a living holder keeps it');
    holder.kill('SIGKILL');
    const started = Date.now();
    const lease = await waiting;
    const waited = Date.now() - started;
    assert.ok(waited < 3_000, `freed ${waited} ms after the holder died`);
    await lease.release();
  });

  it('keeps a living holder’s lease past leaseMs by refreshing it', async () => {
    const holder = redisAddressLeases(client(), { perAddress: 1, leaseMs: 1_000, prefix: 't3' });
    const other = redisAddressLeases(client(), { perAddress: 1, leaseMs: 1_000, prefix: 't3' });
    const lease = await holder.acquire('192.0.2.3');
    let got = false;
    const waiting = other.acquire('192.0.2.3').then((l) => ((got = true), l));
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(got, false, 'still held after twice leaseMs');
    await lease.release();
    await (await waiting).release();
    assert.equal(holder.lost, 0);
  });

  it('caps new connections per address and window: the next waits for the next window', async () => {
    const leases = redisAddressLeases(client(), {
      perAddress: 4,
      leaseMs: 5_000,
      perMinute: 2,
      rateWindowMs: 1_000,
      prefix: 't4',
    });
    // Start at the beginning of a window so the first two fall in the same one.
    await new Promise((r) => setTimeout(r, 1_000 - (Date.now() % 1_000) + 10));
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(
      [0, 1, 2].map(async () => {
        const lease = await leases.acquire('192.0.2.4');
        times.push(Date.now() - started);
        await lease.release();
      }),
    );
    times.sort((a, b) => a - b);
    assert.ok(times[1]! < 500, `two at once (${times.join(', ')} ms)`);
    assert.ok(times[2]! >= 800, `the third waited for the next window (${times.join(', ')} ms)`);
  });
});
