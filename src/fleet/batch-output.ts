/**
 * The batch output: one JSON line per domain, appended as results come in.
 * A file is written with one synchronous write per group of lines: once
 * write() returns, the lines are the kernel's, so a crash of this process
 * (even SIGKILL) loses only the domains still in flight.
 *
 * Resume reads an existing output first, streamed: every complete line is
 * handed to `onLine` (the resume set, the summary, the comparison); a last
 * line without its newline (a crash in the middle of a write) is cut off
 * and will be written again.
 */
import { closeSync, fstatSync, openSync, readSync, createReadStream, ftruncateSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CheckerError } from '../model/errors.js';
import { quoteAtMost } from '../model/text.js';

/** Bytes read per step when looking backwards for the last newline of a file. */
const TAIL_READ_BYTES = 64 * 1024;

/** Where result lines go. `write` returns the line number (1-based) of the first line written. */
export interface LineWriter {
  /** Writes whole lines (each without its newline); returns the number of the first. */
  write(lines: readonly string[]): number;
  /** Lines in the output so far, from before this run included. */
  readonly lines: number;
  close(): Promise<void>;
}

export function quotePath(path: string): string {
  return quoteAtMost(path, Number.POSITIVE_INFINITY);
}

function unwritable(path: string, err: unknown): CheckerError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new CheckerError(
    'output.unwritable',
    `Cannot write the results to ${quotePath(path)}: ${(err as Error).message} (${code}).`,
    { cause: err },
  );
}

/** Results to a stream (stdout): written as they come, flushed by the stream. */
export function streamWriter(stream: NodeJS.WritableStream): LineWriter {
  let lines = 0;
  return {
    write(batch) {
      if (batch.length === 0) return lines + 1;
      stream.write(`${batch.join('\n')}\n`);
      const first = lines + 1;
      lines += batch.length;
      return first;
    },
    get lines() {
      return lines;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Resolve once what was written has been handed on (a pipe may be slow); stdout is never ended here.
        if (stream.write('')) resolve();
        else stream.once('drain', () => resolve());
      }),
  };
}

export interface ExistingOutput {
  /** Complete lines in the file. */
  lines: number;
  /** Bytes of a cut last line that were dropped (0 when the file ended with a newline). */
  truncatedBytes: number;
}

/**
 * Opens `path` for results. Without `resume` the file must not hold
 * results yet (a previous run is never overwritten by accident); with it,
 * a cut last line is removed first and every complete line is handed to
 * `onLine` before the first new one is written.
 */
export async function openFileOutput(
  path: string,
  opts: { resume: boolean; onLine?: (text: string, line: number) => void },
): Promise<{ writer: LineWriter; existing: ExistingOutput }> {
  let fd: number;
  try {
    fd = openSync(path, 'a+');
  } catch (err) {
    throw unwritable(path, err);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > 0 && !opts.resume) {
      throw new CheckerError(
        'output.unwritable',
        `${quotePath(path)} already holds results: add --resume to go on with that run, or give another --out.`,
      );
    }
    const keep = size === 0 ? 0 : lastNewlineEnd(fd, size);
    if (keep < size) ftruncateSync(fd, keep);
    const lines = keep === 0 ? 0 : await readLines(path, keep, opts.onLine ?? (() => undefined));
    let count = lines;
    const writer: LineWriter = {
      write(batch) {
        const first = count + 1;
        if (batch.length === 0) return first;
        try {
          writeSync(fd, `${batch.join('\n')}\n`);
        } catch (err) {
          throw unwritable(path, err);
        }
        count += batch.length;
        return first;
      },
      get lines() {
        return count;
      },
      close: async () => closeSync(fd),
    };
    return { writer, existing: { lines, truncatedBytes: size - keep } };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** The length of the file up to and including its last newline (0 when it has none). */
function lastNewlineEnd(fd: number, size: number): number {
  const buf = Buffer.alloc(TAIL_READ_BYTES);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - TAIL_READ_BYTES);
    const n = readSync(fd, buf, 0, end - start, start);
    const at = buf.subarray(0, n).lastIndexOf(0x0a);
    if (at !== -1) return start + at + 1;
    end = start;
  }
  return 0;
}

/** Streams the first `bytes` of `path` line by line; resolves with the number of lines. */
async function readLines(path: string, bytes: number, onLine: (text: string, line: number) => void): Promise<number> {
  const input = createReadStream(path, { start: 0, end: bytes - 1 });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const text of lines) onLine(text, ++n);
  return n;
}

/** Streams a whole file of lines (a previous run to compare with): `onLine` for each; rejects with a clear error. */
export async function readLineFile(path: string, onLine: (text: string, line: number) => void): Promise<number> {
  const input = createReadStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new CheckerError(
      'setting.invalid',
      `Cannot read ${quotePath(path)}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message} (${code}).`,
      { cause: err },
    );
  }
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const text of lines) onLine(text, ++n);
  return n;
}
