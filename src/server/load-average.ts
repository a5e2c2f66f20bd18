/**
 * Load averages of in-flight work (PROTOCOL.md GET /health): the 1/5/15-minute
 * exponentially weighted averages of `inflight`, sampled every 5 s, as Unix
 * computes its load average. A scheduler uses them to pick the least busy of
 * several identical checker instances.
 */

/** Sampling step (PROTOCOL.md): 5 s, as the kernel's LOAD_FREQ. */
export const LOAD_SAMPLE_MS = 5_000;
/** Averaging windows: 1, 5 and 15 minutes. */
export const LOAD_WINDOWS_MS = [60_000, 300_000, 900_000] as const;

export type LoadAverages = [number, number, number];

/** One sampling step: `avg += (1 - exp(-step/window)) * (inflight - avg)` for each window. */
export function stepLoadAverages(avg: Readonly<LoadAverages>, inflight: number, stepMs = LOAD_SAMPLE_MS): LoadAverages {
  return avg.map((a, i) => a + (1 - Math.exp(-stepMs / LOAD_WINDOWS_MS[i]!)) * (inflight - a)) as LoadAverages;
}

/** Counts work requests and keeps their load averages up to date on a timer that never holds the process open. */
export class WorkTracker {
  inflight = 0;
  total = 0;
  private averages: LoadAverages = [0, 0, 0];
  private readonly timer: NodeJS.Timeout;

  constructor(stepMs = LOAD_SAMPLE_MS) {
    this.timer = setInterval(() => {
      this.averages = stepLoadAverages(this.averages, this.inflight, stepMs);
    }, stepMs);
    this.timer.unref();
  }

  /** Counts one request in; the function it returns counts it out, once however often it is called. */
  begin(): () => void {
    this.inflight++;
    this.total++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inflight--;
    };
  }

  loadavg(): LoadAverages {
    return [...this.averages];
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
