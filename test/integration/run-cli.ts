/**
 * Runs the real CLI as a child process (through tsx, from the sources), as a
 * user or a container runtime would, and hands back its exit code and output.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/model/package-info.js';

export const CLI_MAIN = join(PACKAGE_ROOT, 'src', 'cli', 'main.ts');
/** A CLI run that takes longer is hung, whatever the load. */
const CLI_TIMEOUT_MS = 30_000;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `env` is added to the environment; `caFile` is trusted as NODE_EXTRA_CA_CERTS, so test certificates verify; colours are off. A `check`
 * without `--egress-canary` gets `--egress-canary none`, and `serve` gets it through its environment
 * variable: no test dials outside loopback.
 */
export function runCli(
  args: string[],
  options: { caFile?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const env = {
    ...process.env,
    ...options.env,
    NO_COLOR: '1',
    CHECKER_SMTP_EGRESS_CANARY: 'none',
    ...(options.caFile ? { NODE_EXTRA_CA_CERTS: options.caFile } : {}),
  };
  if (args[0] === 'check' && !args.includes('--egress-canary')) args = [...args, '--egress-canary', 'none'];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI_MAIN, ...args],
      { cwd: PACKAGE_ROOT, env, timeout: CLI_TIMEOUT_MS },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        resolve({ code: typeof code === 'number' ? code : 99, stdout, stderr });
      },
    );
  });
}
