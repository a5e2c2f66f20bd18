/**
 * What a run asked of Redis: calls per command from INFO commandstats,
 * counted from a CONFIG RESETSTAT, so a bench can say how many round trips
 * the fleet makes per domain and which ones (leases, jobs, the drain).
 */
import { Redis } from 'ioredis';

export interface RedisCommands {
  /** Start counting from zero. */
  reset(): Promise<void>;
  /** Calls per command since the reset, most first. */
  read(): Promise<[command: string, calls: number][]>;
  close(): void;
}

export async function redisCommands(url: string): Promise<RedisCommands> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  /** Our own INFO and CONFIG calls, not the fleet's. */
  const ours = new Set(['info', 'config|resetstat', 'config']);
  return {
    async reset() {
      await redis.config('RESETSTAT');
    },
    async read() {
      const text = await redis.info('commandstats');
      const calls: [string, number][] = [];
      for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
        if (!ours.has(m[1]!)) calls.push([m[1]!, Number(m[2])]);
      return calls.sort((a, b) => b[1] - a[1]);
    },
    close: () => redis.disconnect(),
  };
}

/** "1234 (evalsha 800, bzpopmin 200, …)": the total and the commands that make most of it. */
export function formatRedisCommands(calls: [string, number][], per: number, top = 4): string {
  const total = calls.reduce((t, [, n]) => t + n, 0);
  const each = (n: number) => (n / per).toFixed(1);
  const head = calls.slice(0, top).map(([c, n]) => `${c} ${each(n)}`);
  return `${each(total)} (${head.join(', ')}${calls.length > top ? ', …' : ''})`;
}
