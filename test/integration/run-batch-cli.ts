/**
 * Runs `checker-smtp batch` as a child process (the real binary, through
 * tsx from the sources), with standard input when given, and hands back the
 * child so a test can signal it mid-run. The egress check is always off:
 * no test dials outside loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PACKAGE_ROOT } from '../../src/model/package-info.js';
import { CLI_MAIN } from './run-cli.js';

/** A batch run that takes longer is hung, whatever the load. */
const BATCH_TIMEOUT_MS = 60_000;

export interface BatchRun {
  child: ChildProcess;
  /** Resolves when the process has exited: its code (128 + n for a signal, as a shell reports it) and output. */
  done: Promise<{ code: number; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Everything written to stderr so far. */
  stderr(): string;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export interface StartOptions {
  stdin?: string;
  caFile?: string;
  /** The subcommand: batch (default) or worker. */
  command?: 'batch' | 'worker';
}

export function startBatch(args: string[], opts: StartOptions = {}): BatchRun {
  const env = {
    ...process.env,
    NO_COLOR: '1',
    CHECKER_SMTP_EGRESS_CANARY: 'none',
    ...(opts.caFile ? { NODE_EXTRA_CA_CERTS: opts.caFile } : {}),
  };
  // A coordinator (batch --queue) probes nothing and refuses probing flags: its workers get the flag.
  const coordinator = (opts.command ?? 'batch') === 'batch' && args.includes('--queue');
  const argv = args.includes('--egress-canary') || coordinator ? args : [...args, '--egress-canary', 'none'];
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, opts.command ?? 'batch', ...argv], {
    cwd: PACKAGE_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  else child.stdin!.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), BATCH_TIMEOUT_MS);
  const done = new Promise<{ code: number; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? 128 + (SIGNAL_NUMBERS[signal!] ?? 0), signal, stdout, stderr });
      });
    },
  );
  return { child, done, stderr: () => stderr };
}

export async function runBatchCli(args: string[], opts: StartOptions = {}) {
  return startBatch(args, opts).done;
}
