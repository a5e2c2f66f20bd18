/**
 * What the coordinator (`batch --queue`) and the workers (`worker --queue`)
 * agree on: the BullMQ queue's name and key prefix, a job's data (a chunk
 * of domains and the run's check options) and result (one line per
 * domain), the batch's identity kept in Redis across a coordinator's
 * restart, and the connection to Redis itself.
 */
import { Redis } from 'ioredis';
import type { QueueAddress } from '../config/backend-url.js';
import type { BatchLine } from '../model/batch-line.js';
import { CheckerError } from '../model/errors.js';
import { FLEET_CONNECT_TIMEOUT_MS } from '../model/fleet-limits.js';
import type { ChunkItem } from './check-chunk.js';

/** BullMQ's key prefix for our keys (its default, "bull", is shared with every other BullMQ user of the server). */
export const FLEET_PREFIX = 'checker-smtp';
/** The one queue of a Redis database: a fleet runs one batch at a time per database (/DB in the URL). */
export const FLEET_QUEUE = 'batch';
/** The batch in progress in this database: its id and when it started (JSON), deleted when it completes. */
export const FLEET_BATCH_KEY = `${FLEET_PREFIX}:current-batch`;
/** Prefix of the address leases and rate windows (address-leases.ts). */
export const FLEET_LEASE_PREFIX = `${FLEET_PREFIX}:lease`;

export interface FleetJobData {
  /** The batch the chunk belongs to (rows of the store carry it). */
  batch: string;
  items: ChunkItem[];
  /** The coordinator's check options (timeout, HELO, probes…), the same for every domain of the batch. */
  options: Record<string, unknown>;
  /** Return each line with its observation (the coordinator keeps it with --full, or stores it). */
  observations: boolean;
}

export interface FleetJobResult {
  lines: BatchLine[];
}

export interface FleetBatch {
  id: string;
  started_at: string;
}

/**
 * A client for Redis, connected: BullMQ's requirement (no per-command retry limit: a worker waits out a
 * Redis restart instead of failing its jobs) and ours (a first connection that fails is said at once,
 * exit 3, not retried forever). After that, ioredis reconnects on its own; `onError` hears each failure.
 */
export async function connectRedis(
  address: QueueAddress,
  onError: (err: Error) => void = () => undefined,
): Promise<Redis> {
  const redis = new Redis({
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username !== undefined ? { username: address.username } : {}),
    ...(address.password !== undefined ? { password: address.password } : {}),
    lazyConnect: true,
    maxRetriesPerRequest: null,
    connectTimeout: FLEET_CONNECT_TIMEOUT_MS,
  });
  // Until the first connection works, the socket's own error is the one to quote ("Connection is closed"
  // is only its consequence); after it, the caller hears each failure while ioredis reconnects.
  let firstError: Error | null = null;
  const beforeConnected = (err: Error) => (firstError ??= err);
  redis.on('error', beforeConnected);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    const reason = (firstError ?? (err as Error)).message.replace(/\.$/, '');
    throw new CheckerError('backend.unreachable', `Cannot reach the queue ${address.display}: ${reason}.`, {
      cause: err,
    });
  }
  redis.off('error', beforeConnected);
  redis.on('error', onError);
  return redis;
}

export async function readCurrentBatch(redis: Redis): Promise<FleetBatch | null> {
  const text = await redis.get(FLEET_BATCH_KEY);
  if (text === null) return null;
  try {
    const doc = JSON.parse(text) as Partial<FleetBatch>;
    return typeof doc.id === 'string' && typeof doc.started_at === 'string'
      ? { id: doc.id, started_at: doc.started_at }
      : null;
  } catch {
    return null;
  }
}
