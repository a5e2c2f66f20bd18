/**
 * What the interop suite needs from the machine (each MTA's binary, put
 * there by install-mtas.sh, and root, since Postfix and OpenSMTPD start only
 * as root), and the run/skip/fail decision for one suite (test/prerequisites.ts).
 * The machine is read through a probe so the decision is testable without
 * uninstalling anything.
 */
import { existsSync } from 'node:fs';
import { decideSuite, type SuiteDecision } from '../prerequisites.js';
import type { InteropMta } from './interop-mtas.js';

/** What the decision reads of the machine. */
export interface MachineProbe {
  isRoot: boolean;
  exists(path: string): boolean;
}

export function thisMachine(): MachineProbe {
  return { isRoot: process.getuid?.() === 0, exists: existsSync };
}

export const INSTALL_COMMAND = 'sudo bash test/interop/install-mtas.sh';

/** What this machine lacks to run the suites of `mtas`, in words, each once. */
export function missingFor(mtas: readonly InteropMta[], machine: MachineProbe): string[] {
  const missing = mtas.filter((m) => !machine.exists(m.binary)).map((m) => `${m.package} not installed`);
  if (!machine.isRoot) missing.push('not running as root');
  return [...new Set(missing)];
}

/** How to get what is missing: install the MTAs (as root), and run the tests as root. */
function hintFor(missing: readonly string[]): string {
  const install = missing.some((m) => m.endsWith(' not installed'));
  const root = missing.includes('not running as root');
  if (install && root) return `run: ${INSTALL_COMMAND}, then the tests as root`;
  return install ? `run: ${INSTALL_COMMAND}` : 'run the tests as root: the MTAs start only as root';
}

/** Run, skip with one line, or (under CI) fail the interop suite of `mtas`. */
export function interopDecision(
  mtas: readonly InteropMta[],
  machine: MachineProbe = thisMachine(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): SuiteDecision {
  const missing = missingFor(mtas, machine);
  return decideSuite({ suite: 'interop', missing, hint: hintFor(missing) }, env);
}
