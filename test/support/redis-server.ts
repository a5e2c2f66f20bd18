/**
 * A private Redis for a test: `redis-server` from Debian on a free loopback
 * port, its files in a temporary directory, nothing saved, stopped and
 * removed after. Never the system's service.
 *
 *   const redis = await startRedis();   // redis.url: redis://127.0.0.1:PORT
 *   ...
 *   await redis.stop();
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon } from './daemon.js';
import { freePort } from './free-port.js';

const REDIS_SERVER = 'redis-server';
/** A port taken between freePort() and the daemon's bind: try again this many times. */
const START_ATTEMPTS = 3;

export interface RedisInstance {
  readonly host: string;
  readonly port: number;
  /** redis://HOST:PORT */
  readonly url: string;
  readonly daemon: Daemon;
  stop(): Promise<void>;
}

/** What this machine lacks to start Redis, in words (empty: nothing). */
export function redisMissing(): string[] {
  try {
    execFileSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' });
    return [];
  } catch {
    return ['redis-server not installed'];
  }
}

export const REDIS_HINT = 'run: apt-get install -y redis-server';

export async function startRedis(options: { host?: string } = {}): Promise<RedisInstance> {
  const host = options.host ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'checker-smtp-redis-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort(host);
    try {
      const daemon = await startDaemon(
        'redis-server',
        REDIS_SERVER,
        [
          '--port',
          String(port),
          '--bind',
          host,
          '--dir',
          dir,
          // Nothing on disk: a test's queue dies with the test.
          '--save',
          '',
          '--appendonly',
          'no',
          // BullMQ's requirement: keys must never be evicted under memory pressure.
          '--maxmemory-policy',
          'noeviction',
          '--logfile',
          '',
        ],
        /Ready to accept connections/,
      );
      return {
        host,
        port,
        url: `redis://${host}:${port}`,
        daemon,
        async stop() {
          await daemon.stop('SIGTERM');
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
