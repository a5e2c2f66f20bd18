/**
 * Progress of a batch on stderr: a bar with rate and ETA on a terminal
 * (cli-progress, redrawn in place), a plain line every few seconds
 * otherwise (a log, a pipe: "1,234/10,000 domains, 41/min, ETA 3 h 34 min").
 * The rate counts domains checked by this run; lines skipped (duplicates,
 * already in the output) advance the count but not the rate.
 */
import cliProgress from 'cli-progress';

export interface ProgressState {
  /** Input lines dealt with: checked, refused, duplicates, already done. */
  handled: number;
  /** Domains checked by this run (the rate's numerator). */
  checked: number;
}

export interface BatchProgress {
  update(state: ProgressState): void;
  /** Stop drawing (and clear the bar): the summary follows. */
  stop(): void;
}

/** "3 h 34 min", "12 min 5 s", "45 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min${s % 60 > 0 && m < 10 ? ` ${s % 60} s` : ''}`;
  return `${s} s`;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/** Domains per minute and the time left, from this run's pace; null before anything was checked. */
export function pace(
  state: ProgressState,
  total: number | null,
  elapsedMs: number,
): { perMinute: number | null; etaMs: number | null } {
  if (state.checked === 0 || elapsedMs <= 0) return { perMinute: null, etaMs: null };
  const perMinute = (state.checked / elapsedMs) * 60_000;
  const etaMs = total === null ? null : (Math.max(0, total - state.handled) / perMinute) * 60_000;
  return { perMinute, etaMs };
}

/** "1,234/10,000 domains, 41/min, ETA 3 h 34 min" (no total from stdin: "1,234 domains, 41/min"). */
export function progressLine(state: ProgressState, total: number | null, elapsedMs: number): string {
  const { perMinute, etaMs } = pace(state, total, elapsedMs);
  const done = total === null ? `${n(state.handled)} domains` : `${n(state.handled)}/${n(total)} domains`;
  const rate = perMinute === null ? '' : `, ${n(perMinute)}/min`;
  const eta = etaMs === null ? '' : `, ETA ${formatDuration(etaMs)}`;
  return `${done}${rate}${eta}`;
}

export interface BatchProgressOptions {
  /** Candidate lines of the input (null for stdin: no ETA). */
  total: number | null;
  /** Draw a bar (stderr is a terminal) or print lines. */
  tty: boolean;
  /** Interval between plain lines. */
  intervalMs: number;
  now?: () => number;
}

export function createBatchProgress(
  out: NodeJS.WritableStream & { columns?: number },
  opts: BatchProgressOptions,
): BatchProgress {
  const now = opts.now ?? Date.now;
  const started = now();
  let state: ProgressState = { handled: 0, checked: 0 };
  if (opts.tty) {
    const bar = new cliProgress.SingleBar(
      {
        stream: out,
        format: opts.total === null ? '{line}' : '{bar} {line}',
        hideCursor: true,
        clearOnComplete: true,
        fps: 5,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(opts.total ?? 0, 0, { line: progressLine(state, opts.total, 0) });
    return {
      update(s) {
        state = s;
        bar.update(Math.min(s.handled, opts.total ?? s.handled), {
          line: progressLine(s, opts.total, now() - started),
        });
      },
      stop: () => bar.stop(),
    };
  }
  let last = '';
  const timer = setInterval(() => {
    const line = progressLine(state, opts.total, now() - started);
    if (line !== last) out.write(`${line}\n`);
    last = line;
  }, opts.intervalMs);
  timer.unref();
  return {
    update(s) {
      state = s;
    },
    stop: () => clearInterval(timer),
  };
}
