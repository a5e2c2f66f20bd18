/**
 * Suites that need something from the machine (the real MTAs and root for
 * the interop suite) run when it is there. Missing on a contributor's
 * machine, the suite is skipped with one line saying what is missing and how
 * to get it; missing under CI, the suite fails instead, because there it
 * means a broken image, and a silent skip would hide exactly that.
 *
 *   const decision = decideSuite({ suite: 'interop', missing: ['postfix not installed'], hint: 'run: …' });
 *   suiteNeeding('Postfix', decision, () => { ...the suite's tests... });
 */
import { describe, it } from 'node:test';

export interface SuiteNeeds {
  /** Names the suite at the start of the line: "interop". */
  suite: string;
  /** What this machine lacks, in words ("postfix not installed"); empty when everything is there. */
  missing: readonly string[];
  /** How to get it: "run: sudo bash test/interop/install-mtas.sh". */
  hint: string;
}

export type SuiteDecision =
  | { action: 'run' }
  /** The one line the test runner prints for the skipped suite. */
  | { action: 'skip'; line: string }
  | { action: 'fail'; message: string };

/** Values of CI that mean "not under CI" when someone sets it explicitly. */
const NOT_CI = /^(?:|0|false|no)$/i;

/** Under CI: the CI variable is set (CI=true as CI services set it), and not to "", 0, false or no. */
export function isCi(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env['CI'];
  return value !== undefined && !NOT_CI.test(value.trim());
}

/** Run, skip with one line, or (under CI) fail, given what the machine lacks. */
export function decideSuite(
  needs: SuiteNeeds,
  env: Readonly<Record<string, string | undefined>> = process.env,
): SuiteDecision {
  if (needs.missing.length === 0) return { action: 'run' };
  const what = needs.missing.join(', ');
  if (isCi(env)) {
    return {
      action: 'fail',
      message: `${needs.suite}: ${what}, and CI is set, where a missing prerequisite fails the run (${needs.hint})`,
    };
  }
  return { action: 'skip', line: `${needs.suite}: skipped: ${what} (${needs.hint})` };
}

/**
 * describe() as the decision says: the suite as usual; skipped whole, its
 * body never run (no daemon started, no hook), with the decision's line; or,
 * under CI, one failing test carrying the message instead of the body.
 */
export function suiteNeeding(name: string, decision: SuiteDecision, body: () => void): void {
  if (decision.action === 'skip') {
    describe(name, { skip: decision.line }, body);
  } else if (decision.action === 'fail') {
    describe(name, () => {
      it('has what the suite needs on this machine', () => {
        throw new Error(decision.message);
      });
    });
  } else {
    describe(name, body);
  }
}
