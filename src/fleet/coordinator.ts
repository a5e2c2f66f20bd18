/**
 * The coordinator of a distributed batch (`batch --queue redis://…`): it
 * puts the chunks of the list into a BullMQ queue, takes the finished ones
 * back and writes their lines, whoever computed them. It is the one writer:
 * every line reaches the output through one dedupe sink, so a job redone
 * after its worker died (stalled-job recovery) or delivered after a restart
 * never doubles a domain.
 *
 * A finished job stays in Redis until its lines are written (and stored),
 * and is removed only then: a coordinator killed at any point loses
 * nothing, and one restarted with --resume finds the jobs still queued
 * (their domains are not enqueued again), drains those that finished while
 * it was away, and waits for the rest.
 */
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BatchLine } from '../model/batch-line.js';
import { CheckerError } from '../model/errors.js';
import {
  FLEET_DRAIN_INTERVAL_MS,
  FLEET_DRAIN_PAGE,
  FLEET_JOB_ATTEMPTS,
  FLEET_JOB_BACKOFF_MS,
} from '../model/fleet-limits.js';
import type { NameSet } from '../model/name-key.js';
import { quote } from '../model/text.js';
import { errorLine, withoutObservation } from '../presentation/fleet-line.js';
import type { ChunkItem, ChunkOutcome } from './check-chunk.js';
import {
  FLEET_BATCH_KEY,
  FLEET_PREFIX,
  FLEET_QUEUE,
  readCurrentBatch,
  type FleetBatch,
  type FleetJobData,
  type FleetJobResult,
} from './fleet-queue.js';
import type { ResultSink } from './result-sink.js';
import type { ResultStore } from './result-store.js';

/** Every state a job of ours can be in, for counting and listing what a previous coordinator left. */
const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

export interface CoordinatorOptions {
  redis: Redis;
  /** Go on with the batch in the queue (required when there is one). */
  resume: boolean;
  /** The batch's name when a new one starts (`--batch-id`); generated when absent. */
  batchId?: string | undefined;
  /** Domains of jobs already queued go here, so the source skips them. */
  skip: NameSet;
  /** Check options of the batch, sent with every job. */
  options: Record<string, unknown>;
  /** Keep each line's observation in the output (`--full`). */
  full: boolean;
  /** Where lines go, once each (a dedupe sink). */
  sink: ResultSink;
  store: ResultStore | null;
}

export interface Coordinator {
  readonly batch: FleetBatch;
  /** Jobs a previous coordinator left in the queue (not yet written). */
  readonly leftovers: number;
  /** runBatchLoop's unit of work: enqueue the chunk; resolves when its lines are written (not done when `signal` aborts first). */
  work(chunk: ChunkItem[], signal: AbortSignal): Promise<ChunkOutcome[]>;
  /** Wait until the leftovers are written too (or `signal` aborts). */
  finishLeftovers(signal: AbortSignal): Promise<void>;
  /** Stop taking results; when the batch is `complete`, empty the queue so the next batch starts clean. */
  close(complete: boolean): Promise<void>;
}

/** A batch name as a user may give it: short, printable, no ":" (BullMQ's separator in keys and job ids). */
const BATCH_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function validBatchId(id: string): string {
  if (!BATCH_ID.test(id))
    throw new CheckerError(
      'setting.invalid',
      `--batch-id ${quote(id)} must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
    );
  return id;
}

function newBatchId(now: Date): string {
  return `${now.toISOString().slice(0, 19).replaceAll(':', '')}Z-${Math.random().toString(36).slice(2, 6)}`;
}

interface Waiter {
  items: ChunkItem[];
  /** The run's signal: when it aborts, the chunk is not done here (it stays queued for a resumed coordinator). */
  signal: AbortSignal;
  resolve: (outcomes: ChunkOutcome[]) => void;
  reject: (err: unknown) => void;
}

export async function startCoordinator(opts: CoordinatorOptions): Promise<Coordinator> {
  const queue = new Queue<FleetJobData, FleetJobResult>(FLEET_QUEUE, { connection: opts.redis, prefix: FLEET_PREFIX });
  queue.on('error', () => undefined); // reconnects are ioredis's; a failed call rejects where it was made
  const counts = await queue.getJobCounts(...JOB_STATES);
  const queued = Object.values(counts).reduce((a, b) => a + b, 0);
  const current = await readCurrentBatch(opts.redis);
  if ((current !== null || queued > 0) && !opts.resume) {
    await queue.close();
    throw new CheckerError(
      'setting.invalid',
      `The queue already holds ${current ? `batch ${quote(current.id)} (started ${current.started_at})` : 'a batch'} ` +
        `with ${queued.toLocaleString('en-US')} jobs not yet written: go on with it with --resume --out FILE ` +
        `(the same output), or use another Redis database (redis://HOST:PORT/DB).`,
    );
  }
  if (current !== null && opts.batchId !== undefined && opts.batchId !== current.id) {
    await queue.close();
    throw new CheckerError(
      'setting.invalid',
      `--batch-id ${quote(opts.batchId)}: the queue holds batch ${quote(current.id)}; --resume goes on with that one.`,
    );
  }
  const batch: FleetBatch = current ?? {
    id: opts.batchId ?? newBatchId(new Date()),
    started_at: new Date().toISOString(),
  };
  if (current === null) await opts.redis.set(FLEET_BATCH_KEY, JSON.stringify(batch));

  // What a previous coordinator left: its domains are not enqueued again, its jobs are waited for.
  const leftoverIds = new Set<string>();
  for (const state of JOB_STATES) {
    for (let start = 0; ; start += FLEET_DRAIN_PAGE) {
      const jobs = await queue.getJobs([state], start, start + FLEET_DRAIN_PAGE - 1, true);
      for (const job of jobs) {
        if (job?.id === undefined) continue;
        leftoverIds.add(job.id);
        for (const item of job.data.items) opts.skip.add(item.domain);
      }
      if (jobs.length < FLEET_DRAIN_PAGE) break;
    }
  }
  const leftovers = leftoverIds.size;

  const waiters = new Map<string, Waiter>();
  /**
   * One listener per run signal, not one per chunk in flight (a hundred by
   * default, which node reports as a listener leak): on abort, every chunk
   * still waiting on that signal comes back not done.
   */
  const watched = new WeakSet<AbortSignal>();
  const untilAborted = (signal: AbortSignal): void => {
    const notDone = () => {
      for (const [id, w] of waiters)
        if (w.signal === signal) {
          waiters.delete(id);
          w.resolve(w.items.map((item) => ({ item, result: null })));
        }
    };
    if (signal.aborted) return notDone();
    if (watched.has(signal)) return;
    watched.add(signal);
    signal.addEventListener('abort', notDone, { once: true });
  };
  /** This coordinator's job ids: unique across restarts, so a new chunk never meets an old job's id. */
  const runTag = `${batch.id}-${Date.now().toString(36)}`;
  let sequence = 0;
  let failure: unknown = null;
  let closed = false;
  let wake: (() => void) | null = null;

  /** Lines of a finished job: its result, or error lines when every try failed (nothing is lost silently). */
  function linesOf(job: Job<FleetJobData, FleetJobResult>, state: 'completed' | 'failed'): BatchLine[] {
    // By the set the job was found in, not by failedReason: a job that failed a try and then succeeded keeps it.
    const result = job.returnvalue as FleetJobResult | null | undefined;
    if (state === 'completed' && result && Array.isArray(result.lines)) return result.lines;
    const reason = job.failedReason ?? 'no result';
    return job.data.items.map((item) =>
      errorLine(item.domain, item.line, `The check failed on the workers (${job.attemptsMade} tries): ${reason}`),
    );
  }

  async function deliver(job: Job<FleetJobData, FleetJobResult>, state: 'completed' | 'failed'): Promise<void> {
    const lines = linesOf(job, state);
    await opts.store?.save(batch.id, lines);
    opts.sink.accept(opts.full ? lines : lines.map(withoutObservation));
    const waiter = waiters.get(job.id!);
    if (waiter) {
      waiters.delete(job.id!);
      const byDomain = new Map(lines.map((l) => [l.domain, l]));
      waiter.resolve(waiter.items.map((item) => ({ item, result: byDomain.get(item.domain) ?? null })));
    }
    leftoverIds.delete(job.id!);
    // Removed only once written: a coordinator killed before this finds the job again and writes nothing twice.
    await job.remove();
  }

  async function drain(): Promise<void> {
    while (!closed) {
      let full = false;
      for (const state of ['completed', 'failed'] as const) {
        const jobs = await queue.getJobs([state], 0, FLEET_DRAIN_PAGE - 1, true);
        for (const job of jobs) if (job?.id !== undefined && !closed) await deliver(job, state);
        full ||= jobs.length >= FLEET_DRAIN_PAGE;
      }
      if (full) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FLEET_DRAIN_INTERVAL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  }
  const draining = drain().catch((err: unknown) => {
    failure = err;
    for (const w of waiters.values()) w.reject(err);
    waiters.clear();
  });

  return {
    batch,
    leftovers,
    async work(chunk, signal) {
      if (failure !== null) throw failure;
      const id = `${runTag}-${++sequence}`;
      const done = new Promise<ChunkOutcome[]>((resolve, reject) => {
        waiters.set(id, { items: chunk, signal, resolve, reject });
        untilAborted(signal);
      });
      await queue.add(
        'chunk',
        { batch: batch.id, items: chunk, options: opts.options, observations: opts.full || opts.store !== null },
        {
          jobId: id,
          attempts: FLEET_JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: FLEET_JOB_BACKOFF_MS },
          removeOnComplete: false,
          removeOnFail: false,
        },
      );
      return done;
    },
    async finishLeftovers(signal) {
      while (leftoverIds.size > 0 && !signal.aborted && failure === null && !closed)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, FLEET_DRAIN_INTERVAL_MS);
          signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      if (failure !== null) throw failure;
    },
    async close(complete) {
      closed = true;
      (wake as (() => void) | null)?.();
      await draining;
      try {
        if (complete && failure === null) {
          await queue.obliterate({ force: true });
          await opts.redis.del(FLEET_BATCH_KEY);
        }
      } finally {
        await queue.close();
      }
    },
  };
}
