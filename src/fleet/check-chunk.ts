/**
 * The unit of work of a batch: a chunk of domains → collectMany() → one
 * result line per domain. Whoever runs it (this process, or a worker that
 * took the chunk from a queue) gets plain JSON-ready lines back, and a
 * domain the run was cut before finishing comes back as "not done" (null),
 * never as a result, so a resumed run checks it again.
 *
 * One domain must never spoil the others: an exception for the chunk
 * (a bug, an input collection refuses) is answered by checking each domain
 * of it alone, and the one that still fails gets an error line.
 */
import { collectMany, type CollectManySettings } from '../collect/collect-many.js';
import { CheckerError } from '../model/errors.js';
import type { BatchLine } from '../model/batch-line.js';
import { evaluate } from '../rules/index.js';
import { errorLine, resultLine } from '../presentation/fleet-line.js';

export interface ChunkItem {
  /** Input line where the domain first appeared. */
  line: number;
  domain: string;
}

export interface ChunkSettings {
  /** Shared by every chunk of a run: gate, DNS client with its cache, options, source address… */
  collect: Omit<CollectManySettings, 'signal'>;
  /** Keep the observation in each line (`--full`). */
  full: boolean;
}

export interface ChunkOutcome {
  item: ChunkItem;
  /** The result line; null when the run was cut before the domain finished (not done). */
  result: BatchLine | null;
}

/** Why a check failed, in words for the error line: our message for our errors, the bare message for a bug. */
function failure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return err instanceof CheckerError ? message : `The check failed (a bug in the checker): ${message}`;
}

/** Check `items` together; `signal` cuts the chunk (its unfinished domains come back not done). */
export async function checkChunk(
  items: readonly ChunkItem[],
  settings: ChunkSettings,
  signal?: AbortSignal,
): Promise<ChunkOutcome[]> {
  let observations;
  try {
    observations = await collectMany(
      items.map((i) => i.domain),
      { ...settings.collect, ...(signal ? { signal } : {}) },
    );
  } catch (err) {
    if (items.length > 1) {
      // Which domain? Each alone, in parallel (the gate keeps them polite): the others keep their results.
      const alone = await Promise.all(items.map((item) => checkChunk([item], settings, signal)));
      return alone.flat();
    }
    return [
      { item: items[0]!, result: signal?.aborted ? null : errorLine(items[0]!.domain, items[0]!.line, failure(err)) },
    ];
  }
  const outcomes: ChunkOutcome[] = [];
  for (const [i, obs] of observations.entries()) {
    const item = items[i]!;
    if (obs.cut !== null) {
      outcomes.push({ item, result: null });
      continue;
    }
    try {
      outcomes.push({ item, result: resultLine(obs, evaluate(obs), { inputLine: item.line, full: settings.full }) });
    } catch (err) {
      outcomes.push({ item, result: errorLine(item.domain, item.line, failure(err)) });
    }
    // Rules and the line cost a few milliseconds a domain: a hundred in one go would hold up every other
    // chunk's sessions (a shared MX idles while its next session waits for the event loop).
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return outcomes;
}
