/**
 * A worker of a distributed batch (`checker-smtp worker --queue …`): takes
 * chunks from the BullMQ queue and checks each with checkChunk(), like the
 * batch on one machine, so domains of a chunk that share an MX address
 * share its sessions. Its connection gate takes a Redis lease per
 * destination address (address-leases.ts): the politeness bound holds
 * across every worker of the fleet.
 *
 * A job's lock is renewed while it runs; a worker killed mid-job stops
 * renewing, and after `stallMs` another worker's stalled-job check puts the
 * job back in the queue (BullMQ's recovery) while the dead worker's leases
 * expire. A job whose leases could not be held (Redis lost) fails and is
 * tried again, so no result is computed outside the fleet's bound unnoticed.
 */
import { TlsSessions } from '../collect/tls/tls-sessions.js';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createConnectionGate } from '../collect/connection-gate.js';
import { withoutObservation } from '../presentation/fleet-line.js';
import { BATCH_CHUNK_DOMAINS, FLEET_MAX_STALLED } from '../model/fleet-limits.js';
import { MAX_OPEN_CONNECTIONS } from '../model/limits.js';
import { redisAddressLeases } from './address-leases.js';
import { checkChunk, type ChunkSettings } from './check-chunk.js';
import {
  FLEET_LEASE_PREFIX,
  FLEET_PREFIX,
  FLEET_QUEUE,
  type FleetJobData,
  type FleetJobResult,
} from './fleet-queue.js';
import type { ResultStore } from './result-store.js';

export interface FleetWorkerOptions {
  redis: Redis;
  /** This worker's deployment settings (resolver or DNS client, port, egress canary, source address…). */
  collect: Omit<ChunkSettings['collect'], 'options' | 'gate' | 'signal'>;
  /** Connections open at once to one address across the fleet. */
  perAddress: number;
  /** New connections per address and minute across the fleet (null: no cap). */
  perMinute: number | null;
  /** Domains in flight in this worker (chunks of BATCH_CHUNK_DOMAINS). */
  concurrency: number;
  /** A job or an address lease not renewed for this long is taken back (the worker is dead). */
  stallMs: number;
  store: ResultStore | null;
  /** Each job finished or failed, for the worker's log. */
  onJob?: (event: { id: string; domains: number; ms: number; error?: string }) => void;
}

export interface FleetWorker {
  /** Finish the jobs in hand and stop (the lease and lock are given back). */
  close(): Promise<void>;
  /** Jobs finished by this worker. */
  readonly finished: number;
}

export function startFleetWorker(opts: FleetWorkerOptions): FleetWorker {
  const leases = redisAddressLeases(opts.redis, {
    perAddress: opts.perAddress,
    leaseMs: opts.stallMs,
    perMinute: opts.perMinute,
    prefix: FLEET_LEASE_PREFIX,
  });
  const gate = createConnectionGate({ perAddress: opts.perAddress, maxOpen: MAX_OPEN_CONNECTIONS, leases });
  // The worker's jobs resume each other's TLS sessions with a shared MX (each entry at most 10 minutes old).
  const tlsSessions = new TlsSessions();
  let finished = 0;

  async function processJob(job: Job<FleetJobData, FleetJobResult>): Promise<FleetJobResult> {
    const started = Date.now();
    const settings: ChunkSettings = {
      // The store keeps every observation; the coordinator gets them only when it asked.
      full: job.data.observations || opts.store !== null,
      collect: { ...opts.collect, options: job.data.options, gate, tlsSessions },
    };
    // This job's lease troubles only: the jobs running beside it share the gate, and were they failed for
    // another's lost lease, their retries (on the same backoff) would meet it again and fail every try.
    const troubles = { lost: 0, failed: 0 };
    const outcomes = await leases.tracking(troubles, () => checkChunk(job.data.items, settings));
    if (troubles.failed > 0 || troubles.lost > 0)
      throw new Error('address leases could not be held in Redis during the job: it is tried again');
    const lines = outcomes.flatMap((o) => (o.result === null ? [] : [o.result]));
    if (lines.length < outcomes.length)
      throw new Error(`${outcomes.length - lines.length} domains of the job were cut before they finished`);
    await opts.store?.save(job.data.batch, lines);
    finished++;
    opts.onJob?.({ id: job.id ?? '?', domains: lines.length, ms: Date.now() - started });
    return { lines: job.data.observations ? lines : lines.map(withoutObservation) };
  }

  const worker = new Worker<FleetJobData, FleetJobResult>(FLEET_QUEUE, processJob, {
    connection: opts.redis,
    prefix: FLEET_PREFIX,
    concurrency: Math.max(1, Math.ceil(opts.concurrency / BATCH_CHUNK_DOMAINS)),
    lockDuration: opts.stallMs,
    stalledInterval: opts.stallMs,
    maxStalledCount: FLEET_MAX_STALLED,
  });
  worker.on('error', () => undefined); // connection trouble: ioredis reconnects; jobs in hand fail and are retried
  worker.on('failed', (job, err) => {
    if (job) opts.onJob?.({ id: job.id ?? '?', domains: job.data.items.length, ms: 0, error: err.message });
  });

  return {
    close: () => worker.close(),
    get finished() {
      return finished;
    },
  };
}
