/**
 * The batch loop on one machine: pull domains from the source, group them
 * into chunks, keep at most `concurrency` domains in flight (the source is
 * not read further until there is room: back-pressure down to the file),
 * hand each finished chunk's lines to the sink. Lines that name no domain
 * go to the sink at once, as error lines.
 *
 * Two signals end it early: `stop` (Ctrl-C) takes no new work and lets the
 * chunks in flight finish; `abort` (a second Ctrl-C, or the grace period
 * over) cuts them, and their unfinished domains are counted as not done:
 * absent from the output, so a resumed run checks them.
 */
import { errorLine } from '../presentation/fleet-line.js';
import type { BatchInput } from './domain-source.js';
import type { ChunkItem, ChunkOutcome } from './check-chunk.js';
import type { ResultSink } from './result-sink.js';

export interface BatchLoopOptions {
  items: AsyncIterable<BatchInput>;
  /** The unit of work: a chunk → one outcome per domain (checkChunk with the run's settings). */
  work: (chunk: ChunkItem[], signal: AbortSignal) => Promise<ChunkOutcome[]>;
  sink: ResultSink;
  /** Domains in flight at most. */
  concurrency: number;
  /** Domains per chunk. */
  chunkSize: number;
  stop?: AbortSignal;
  abort?: AbortSignal;
  /** After each chunk (and each refused line): domains done and in flight. */
  onProgress?: (p: { checked: number; refused: number; inFlight: number }) => void;
}

export interface BatchLoopResult {
  /** Every domain of the input has its line: the source was read to the end and nothing was cut. */
  complete: boolean;
  checked: number;
  refused: number;
  /** Domains taken but cut before they finished (absent from the output). */
  notDone: number;
}

const STOPPED = Symbol('stopped');

/**
 * `promise`, or STOPPED as soon as `stop` fires. Not Promise.race with a promise that lives as long as the
 * run: every race leaves a reaction on such a promise until it settles, two per domain, and a list of a
 * million domains would keep them all (measured: ~1 KiB a domain, out of memory with the heap capped).
 */
function untilStopped<T>(promise: Promise<T>, stop: AbortSignal): Promise<T | typeof STOPPED> {
  if (stop.aborted) return Promise.resolve(STOPPED);
  return new Promise((resolve, reject) => {
    const onStop = () => resolve(STOPPED);
    stop.addEventListener('abort', onStop, { once: true });
    promise.then(
      (value) => {
        stop.removeEventListener('abort', onStop);
        resolve(value);
      },
      (err: unknown) => {
        stop.removeEventListener('abort', onStop);
        reject(err);
      },
    );
  });
}

export async function runBatchLoop(opts: BatchLoopOptions): Promise<BatchLoopResult> {
  const stop = opts.stop ?? new AbortController().signal;
  const abort = opts.abort ?? new AbortController().signal;
  const running = new Set<Promise<void>>();
  let inFlight = 0;
  let checked = 0;
  let refused = 0;
  let notDone = 0;
  let failure: unknown = null;
  const progress = () => opts.onProgress?.({ checked, refused, inFlight });

  const dispatch = (chunk: ChunkItem[]) => {
    inFlight += chunk.length;
    const task = opts
      .work(chunk, abort)
      .then((outcomes) => {
        const lines = outcomes.flatMap((o) => (o.result === null ? [] : [o.result]));
        notDone += outcomes.length - lines.length;
        opts.sink.accept(lines);
        checked += lines.length;
      })
      .catch((err: unknown) => {
        // The sink failed (the disk is full): nothing more can be kept, so stop taking work.
        failure ??= err;
        notDone += chunk.length;
      })
      .finally(() => {
        inFlight -= chunk.length;
        running.delete(task);
        progress();
      });
    running.add(task);
  };

  /** Resolves when `size` more domains fit in flight, or when the run is told to stop. */
  const room = async (size: number) => {
    while (inFlight > 0 && inFlight + size > opts.concurrency && !stop.aborted && failure === null)
      await untilStopped(Promise.race([...running]), stop);
  };

  let pending: ChunkItem[] = [];
  let exhausted = false;
  // Pulled by hand, raced with `stop`: a source with nothing to give (an idle stdin) must not hold up Ctrl-C.
  const iterator = opts.items[Symbol.asyncIterator]();
  for (;;) {
    if (stop.aborted || failure !== null) break;
    const next = await untilStopped(iterator.next(), stop);
    if (next === STOPPED) break;
    if (next.done) {
      exhausted = true;
      break;
    }
    const item = next.value;
    if (item.kind === 'refused') {
      opts.sink.accept([errorLine(item.text, item.line, item.error)]);
      refused++;
      progress();
      continue;
    }
    pending.push({ line: item.line, domain: item.domain });
    if (pending.length >= opts.chunkSize) {
      await room(pending.length);
      if (stop.aborted || failure !== null) break;
      dispatch(pending);
      pending = [];
    }
  }
  if (!exhausted) {
    // Not awaited: a pull may still be pending on the source, which its owner closes.
    void iterator.return?.(undefined);
  } else if (pending.length > 0) {
    await room(pending.length);
    if (stop.aborted || failure !== null) exhausted = false;
    else dispatch(pending);
  }
  while (running.size > 0) await Promise.all([...running]);
  if (failure !== null) throw failure;
  return { complete: exhausted && notDone === 0, checked, refused, notDone };
}
