/**
 * A daemon started by a test: spawned in the foreground, ready when a line
 * of its output says so, stopped with a signal and awaited. Output is kept
 * (bounded) so a failure to start quotes what the daemon said.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** How long a daemon may take to say it is ready on a loaded two-core machine. */
const READY_TIMEOUT_MS = 30_000;
/** Output kept for an error message: the end is what explains a failure. */
const OUTPUT_KEPT = 8_192;

export interface Daemon {
  readonly child: ChildProcess;
  /** Signal it and wait for it to exit (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export async function startDaemon(
  name: string,
  command: string,
  args: string[],
  ready: RegExp,
  options: SpawnOptions = {},
): Promise<Daemon> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name} ${why}. Its output:\n${output}`));
    };
    const onData = (b: Buffer) => {
      output = (output + b.toString()).slice(-OUTPUT_KEPT);
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) => fail(`could not start: ${err.message}`));
    child.once('exit', (code, signal) => fail(`exited before it was ready (${signal ?? `code ${code}`})`));
  });
  return {
    child,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
