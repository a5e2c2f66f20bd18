/**
 * The real commands of a distributed batch as child processes of the bench:
 * `checker-smtp worker` (ready once it says "Worker on …"), and, where the
 * bench must be able to stop it, the coordinator (`batch --queue`) with its
 * output lines counted as they come. Node flags (a capped old space) go
 * before the script, as they would on a command line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN_TS = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
/** What a child said on stderr, kept for an error message: the end is what explains a failure. */
const STDERR_KEPT = 8_192;

export interface CommandProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The end of what it said on stderr. */
  stderr(): string;
  /** Its exit code (or signal), once it has exited. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

function startCommand(command: string[], nodeFlags: string[], stdout: 'ignore' | 'pipe'): CommandProcess {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', MAIN_TS, ...command], {
    stdio: ['ignore', stdout, 'pipe'],
  });
  let said = '';
  child.stderr!.on('data', (b: Buffer) => (said = (said + b.toString()).slice(-STDERR_KEPT)));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  return { child, pid: child.pid!, stderr: () => said, exited };
}

/**
 * `checker-smtp worker ARGS…`, resolved once it is connected to the queue. Its standard output (where it
 * writes nothing; V8's --trace-gc does) is the caller's to read with `stdout: 'pipe'`.
 */
export async function startWorkerProcess(
  args: string[],
  options: { nodeFlags?: string[]; stdout?: 'ignore' | 'pipe' } = {},
): Promise<CommandProcess> {
  const worker = startCommand(['worker', ...args], options.nodeFlags ?? [], options.stdout ?? 'ignore');
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (!worker.stderr().includes('Worker on ')) return;
      worker.child.stderr!.off('data', onData);
      resolve();
    };
    worker.child.stderr!.on('data', onData);
    void worker.exited.then((code) => reject(new Error(`worker exited (${code}): ${worker.stderr()}`)));
  });
  return worker;
}

export interface CoordinatorProcess extends CommandProcess {
  /** Result lines written to its standard output so far. */
  lines(): number;
  /** Lines without the `expected` text (a result other than the one every domain of the run should have). */
  wrong(): number;
  /** The first few of them, for the log. */
  wrongLines(): string[];
}

/** Wrong lines kept for the log: enough to see what went wrong, not a flood. */
const WRONG_KEPT = 3;

/** `checker-smtp batch ARGS…` (with --queue: the coordinator), its lines on stdout counted and checked, not kept. */
export function startCoordinatorProcess(args: string[], expected: string): CoordinatorProcess {
  const coordinator = startCommand(['batch', ...args], [], 'pipe');
  let lines = 0;
  let wrong = 0;
  const kept: string[] = [];
  /** The start of a line whose end has not come yet. */
  let partial = '';
  coordinator.child.stdout!.setEncoding('utf8');
  coordinator.child.stdout!.on('data', (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop()!;
    lines += parts.length;
    for (const line of parts) {
      if (line.includes(expected)) continue;
      wrong++;
      if (kept.length < WRONG_KEPT) kept.push(line);
    }
  });
  return { ...coordinator, lines: () => lines, wrong: () => wrong, wrongLines: () => kept };
}

/** A bench worker's command line: the queue, the fleet peers' DNS and port, no egress check, `concurrency` in flight. */
export function workerArgs(queue: string, peers: { dns: string; port: number }, concurrency: number): string[] {
  return [
    '--queue',
    queue,
    '--resolver',
    peers.dns,
    '--port',
    String(peers.port),
    '--egress-canary',
    'none',
    '--concurrency',
    String(concurrency),
  ];
}
