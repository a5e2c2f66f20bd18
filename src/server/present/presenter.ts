/**
 * Where the service evaluates and renders: inline for an ordinary
 * observation (a few endpoints: milliseconds), in a worker thread for a
 * large one. Rendering is CPU-bound and synchronous; a check of a few
 * hundred endpoints with long transcripts took seconds, and one such /check
 * stalled /health for 4.2 s (issue 12). In the worker it takes as long, but
 * the event loop goes on serving: the observation goes over as JSON made an
 * endpoint at a time (observation-json.ts), moved as bytes, and only the
 * answer comes back, moved as bytes too.
 * The pool (piscina) has one thread fewer than the machine has cores (at
 * least one), starts them on demand and lets them go when idle.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Observation } from '../../model/observation.js';
import { observationJson } from '../observation-json.js';
import { runPresentTask, type PresentResult, type PresentTask } from './present-tasks.js';
import type { WorkerInput } from './present-worker.js';

/**
 * Up to this many endpoints and transcript lines, an observation is
 * presented inline: a healthy domain of six endpoints renders in a few
 * milliseconds, less than a round trip to a thread. Past either, the worker.
 */
export const INLINE_PRESENT_LIMIT = { endpoints: 8, transcriptLines: 1000 };

/** A worker idle this long exits (a large check is rare); the next one starts it again. */
const WORKER_IDLE_MS = 30_000;

/** What the presenter answers: text (HTML) as UTF-8 bytes, ready for the socket; data as it is. */
export type Presented<K extends PresentTask['kind']> = PresentResult<K> extends string ? Buffer : PresentResult<K>;

export interface Presenter {
  run<T extends PresentTask>(obs: Observation, task: T): Promise<Presented<T['kind']>>;
  /** Whether `obs` goes to the worker. */
  inWorker(obs: Observation): boolean;
  close(): Promise<void>;
}

export interface PresenterOptions {
  /** Inline up to these sizes (tests: { endpoints: 0, transcriptLines: 0 } sends everything to the worker). */
  inlineLimit?: { endpoints: number; transcriptLines: number };
}

/** The worker module beside this one: .ts when run from source (tsx), .js once built. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./present-worker${extname(here)}`, import.meta.url));
}

/**
 * The observation as UTF-8 JSON pieces, one endpoint each, made a turn of the
 * event loop at a time. Bytes, not strings: a structured clone copies a
 * string (a quarter of a second for a large observation, on this thread),
 * while an ArrayBuffer in the transfer list moves for free.
 */
async function observationBytes(obs: Observation): Promise<Uint8Array<ArrayBuffer>[]> {
  const encoder = new TextEncoder();
  const pieces: Uint8Array<ArrayBuffer>[] = [];
  for await (const piece of observationJson(obs, (o) => o)) pieces.push(encoder.encode(piece));
  return pieces;
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function createPresenter(options: PresenterOptions = {}): Presenter {
  const limit = options.inlineLimit ?? INLINE_PRESENT_LIMIT;
  let pool: Piscina | undefined;
  const inWorker = (obs: Observation) => {
    if (obs.endpoints.length > limit.endpoints) return true;
    let lines = 0;
    for (const ep of obs.endpoints) lines += ep.transcript.length;
    return lines > limit.transcriptLines;
  };
  return {
    inWorker,
    async run<T extends PresentTask>(obs: Observation, task: T): Promise<Presented<T['kind']>> {
      if (!inWorker(obs)) {
        const result = runPresentTask(obs, task);
        return (typeof result === 'string' ? Buffer.from(result) : result) as Presented<T['kind']>;
      }
      pool ??= new Piscina({
        filename: workerFile(),
        minThreads: 0,
        maxThreads: Math.max(1, availableParallelism() - 1),
        idleTimeout: WORKER_IDLE_MS,
      });
      const observation = await observationBytes(obs);
      const input: WorkerInput = { observation, task };
      const result = (await pool.run(input, { transferList: observation.map((p) => p.buffer) })) as unknown;
      return (result instanceof Uint8Array ? asBuffer(result) : result) as Presented<T['kind']>;
    },
    async close() {
      await pool?.destroy();
      pool = undefined;
    },
  };
}
