/**
 * How the property-based suites (`*.fuzz.test.ts`) run. Under `npm test`
 * each property runs its own small default, so the whole fuzz suite costs a
 * few seconds; `npm run fuzz` sets FUZZ_RUNS, the cases per property, for a
 * long run. Each property reports its case count and seed as a test
 * diagnostic; FUZZ_SEED replays a failing run with the seed it reported
 * (fast-check also prints the counterexample and its path).
 */
import type { TestContext } from 'node:test';
import fc from 'fast-check';

function positiveInteger(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`${name} must be a positive integer, got ${JSON.stringify(raw)}.`);
  return n;
}

/** Cases for a property whose `npm test` default is `defaultRuns`. */
export function fuzzRuns(defaultRuns: number): number {
  return positiveInteger('FUZZ_RUNS') ?? defaultRuns;
}

/** Runs `property` for fuzzRuns(defaultRuns) cases and says how many, with the seed. */
export function fuzz<Ts>(t: TestContext, defaultRuns: number, property: fc.IProperty<Ts>): void {
  const numRuns = fuzzRuns(defaultRuns);
  const seed = positiveInteger('FUZZ_SEED') ?? Math.floor(Math.random() * 0x7fffffff) + 1;
  fc.assert(property, { numRuns, seed });
  t.diagnostic(`fuzz: ${numRuns} cases, seed ${seed}`);
}
