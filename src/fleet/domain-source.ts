/**
 * The domain list, streamed: one domain per line from a file or stdin,
 * read with readline over the stream and pulled one line at a time, so only
 * what the run has room for is ever read (back-pressure: the stream pauses
 * while the consumer is busy). Blank lines and comments (`# …`, or text
 * after ` #`) are skipped, pasted URLs and e-mail addresses reduced to their
 * domain (reduceToDomain), duplicates and domains already in the output
 * (resume) dropped through sets of 52-bit name keys (see NameSet: ~37 bytes
 * a name, never the names), and lines that name no domain handed on as
 * refusals: they become error lines, the run goes on.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { reduceToDomain, type ReducedKind } from '../config/domain-input.js';
import { NameSet } from '../model/name-key.js';
import { cut, sanitize } from '../model/text.js';

/** How much of a refused line its error line keeps as `domain`: enough to find it, never a megabyte. */
const REFUSED_TEXT_MAX_CHARS = 300;
/** Text after white space and `#` is a comment; a URL's fragment has no space before its `#`. */
const TRAILING_COMMENT = /\s+#.*$/;
const BYTE_ORDER_MARK = /^\uFEFF/;

export type BatchInput =
  | { kind: 'domain'; line: number; domain: string }
  /** A line that names no domain: `text` (cut, sanitized) is what its error line shows as `domain`. */
  | { kind: 'refused'; line: number; text: string; error: string };

export interface InputStats {
  /** Lines read. */
  lines: number;
  /** Blank and comment lines. */
  skipped: number;
  duplicates: number;
  /** Already in the output (resume). */
  alreadyDone: number;
  /** Lines reduced to their domain, per kind. */
  reduced: Record<ReducedKind, number>;
  refused: number;
}

export function emptyInputStats(): InputStats {
  return { lines: 0, skipped: 0, duplicates: 0, alreadyDone: 0, reduced: { url: 0, email: 0 }, refused: 0 };
}

export interface DomainSourceOptions {
  /** Domains (and refused texts) already in the output, or already queued by a coordinator: skipped. */
  done?: Pick<NameSet, 'has'>;
  stats?: InputStats;
  /** A line was reduced to its domain: "line 12: checking shop.example (from https://shop.example/)". */
  onReduced?: (line: number, kind: ReducedKind, note: string) => void;
}

/** Every line of `input` a check should see, in order, each domain once. */
export async function* readDomains(input: Readable, opts: DomainSourceOptions = {}): AsyncGenerator<BatchInput> {
  const stats = opts.stats ?? emptyInputStats();
  const done: Pick<NameSet, 'has'> = opts.done ?? new NameSet();
  const seen = new NameSet();
  // A domain or text counts once: a domain already done is skipped, never added to `seen` (one set holds each name).
  const fresh = (key: string): boolean => {
    if (done.has(key)) {
      stats.alreadyDone++;
      return false;
    }
    if (!seen.add(key)) {
      stats.duplicates++;
      return false;
    }
    return true;
  };
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  try {
    for await (const raw of lines) {
      number++;
      stats.lines++;
      const text = (number === 1 ? raw.replace(BYTE_ORDER_MARK, '') : raw).replace(TRAILING_COMMENT, '').trim();
      if (text === '' || text.startsWith('#')) {
        stats.skipped++;
        continue;
      }
      const reduced = reduceToDomain(text);
      if (!reduced.ok) {
        const shown = sanitize(cut(text, REFUSED_TEXT_MAX_CHARS));
        if (!fresh(shown)) continue;
        stats.refused++;
        yield {
          kind: 'refused',
          line: number,
          text: shown,
          error: `Line ${number} names no domain: ${reduced.reason}.`,
        };
        continue;
      }
      if (!fresh(reduced.domain)) continue;
      if (reduced.kind !== null) {
        stats.reduced[reduced.kind]++;
        opts.onReduced?.(number, reduced.kind, reduced.note!);
      }
      yield { kind: 'domain', line: number, domain: reduced.domain };
    }
  } finally {
    // The consumer stopped (Ctrl-C) or the list ended: release the file (or stdin) at once.
    lines.close();
    input.destroy();
  }
}
