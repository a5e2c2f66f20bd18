/**
 * Where every result line goes, whoever computed it: the output (file or
 * stdout), the fleet summary's counters and the comparison with a previous
 * run. The same sink takes the lines of a resumed output as they are read
 * back, so the summary covers the whole run, interrupted or not.
 */
import type { BatchLine, ParsedBatchLine } from '../model/batch-line.js';
import { parseBatchLine } from '../model/batch-line.js';
import type { FleetComparison } from '../presentation/fleet-compare.js';
import type { FleetAggregator } from '../presentation/fleet-summary.js';
import type { NameSet } from '../model/name-key.js';
import type { LineWriter } from './batch-output.js';

export interface ResultSink {
  /** Write `results` (one line each) and count them. */
  accept(results: readonly BatchLine[]): void;
  /** Count a line already in the output (resume): `text` as read, at `line`. Returns the parsed line, or null when it is not one. */
  replay(text: string, line: number): ParsedBatchLine | null;
  /** Result lines written by this run. */
  readonly written: number;
}

export interface SinkTargets {
  summary?: FleetAggregator | null;
  comparison?: FleetComparison | null;
}

export function createResultSink(writer: () => LineWriter, targets: SinkTargets = {}): ResultSink {
  let written = 0;
  const count = (line: ParsedBatchLine, n: number) => {
    targets.summary?.add(line, n);
    targets.comparison?.add(line, n);
  };
  return {
    accept(results) {
      if (results.length === 0) return;
      const first = writer().write(results.map((r) => JSON.stringify(r)));
      written += results.length;
      results.forEach((r, i) => count({ ...r, error: r.error ?? null }, first + i));
    },
    replay(text, n) {
      const line = parseBatchLine(text);
      if (line) count(line, n);
      return line;
    },
    get written() {
      return written;
    },
  };
}

/**
 * A sink that writes each domain once: a line whose domain already has one (read back on resume, or
 * delivered twice by a queue: a job redone after its worker died) is dropped. `written` holds the domains
 * with a line so far; the fleet's coordinator is the one place that decides what reaches the output.
 */
export function dedupeSink(inner: ResultSink, written: NameSet): ResultSink & { readonly dropped: number } {
  let dropped = 0;
  return {
    accept(results) {
      const fresh = results.filter((r) => written.add(r.domain));
      dropped += results.length - fresh.length;
      inner.accept(fresh);
    },
    replay: (text, line) => inner.replay(text, line),
    get written() {
      return inner.written;
    },
    get dropped() {
      return dropped;
    },
  };
}
