import type { TranscriptLine } from '../../model/observation.js';
import { MAX_TRANSCRIPT_LINES } from '../../model/limits.js';

/**
 * The verbatim record of one endpoint dialogue, both directions, with a
 * millisecond timestamp from the start of the probe. Recorded at the source
 * (the connection), so every verdict can point at the lines behind it.
 */
export class Transcript {
  readonly lines: TranscriptLine[] = [];
  truncated = false;
  private readonly start = performance.now();

  /** Milliseconds since the probe started. */
  elapsed(): number {
    return Math.round(performance.now() - this.start);
  }

  add(dir: TranscriptLine['dir'], text: string): void {
    if (this.lines.length >= MAX_TRANSCRIPT_LINES) {
      this.truncated = true;
      return;
    }
    this.lines.push({ t: this.elapsed(), dir, text });
  }

  event(text: string): void {
    this.add('*', text);
  }
}
