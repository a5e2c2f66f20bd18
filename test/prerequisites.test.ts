/**
 * The run/skip/fail decision for suites that need something from the
 * machine, and what node's test runner makes of it: one line for a skipped
 * suite (its body never run), one failing test under CI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decideSuite, isCi, type SuiteDecision } from './prerequisites.js';

const NEEDS = {
  suite: 'interop',
  missing: ['postfix not installed'],
  hint: 'run: sudo bash test/interop/install-mtas.sh',
};

describe('decideSuite()', () => {
  it('runs the suite when nothing is missing, under CI or not', () => {
    assert.deepEqual(decideSuite({ ...NEEDS, missing: [] }, {}), { action: 'run' });
    assert.deepEqual(decideSuite({ ...NEEDS, missing: [] }, { CI: 'true' }), { action: 'run' });
  });

  it('skips with one line saying what is missing and how to get it', () => {
    assert.deepEqual(decideSuite(NEEDS, {}), {
      action: 'skip',
      line: 'interop: skipped: postfix not installed (run: sudo bash test/interop/install-mtas.sh)',
    });
    assert.deepEqual(decideSuite({ ...NEEDS, missing: ['postfix not installed', 'not running as root'] }, {}), {
      action: 'skip',
      line: 'interop: skipped: postfix not installed, not running as root (run: sudo bash test/interop/install-mtas.sh)',
    });
  });

  it('fails instead under CI, saying the same', () => {
    assert.deepEqual(decideSuite(NEEDS, { CI: 'true' }), {
      action: 'fail',
      message:
        'interop: postfix not installed, and CI is set, where a missing prerequisite fails the run (run: sudo bash test/interop/install-mtas.sh)',
    });
  });
});

describe('isCi()', () => {
  it('is true when CI is set, as CI services set it', () => {
    for (const value of ['true', '1', 'yes', 'woodpecker']) assert.equal(isCi({ CI: value }), true, value);
  });

  it('is false when CI is unset, empty, or explicitly switched off', () => {
    assert.equal(isCi({}), false);
    for (const value of ['', ' ', '0', 'false', 'FALSE', 'no']) assert.equal(isCi({ CI: value }), false, value);
  });
});

describe('suiteNeeding() under node:test', () => {
  const HERE = dirname(fileURLToPath(import.meta.url));

  /** Runs a test file holding one suite with `decision`, as `npm test` runs files. */
  function runSuite(decision: SuiteDecision): { status: number | null; output: string } {
    const dir = mkdtempSync(join(tmpdir(), 'checker-smtp-prerequisites-'));
    try {
      const file = join(dir, 'suite.test.mjs');
      writeFileSync(
        file,
        [
          `import { it } from 'node:test';`,
          `import { suiteNeeding } from ${JSON.stringify(pathToFileURL(join(HERE, 'prerequisites.ts')).href)};`,
          `suiteNeeding('Needy', ${JSON.stringify(decision)}, () => {`,
          `  console.log('BODY RAN');`,
          `  it('uses the prerequisite', () => {});`,
          `});`,
        ].join('\n'),
      );
      // Not as a child of this run: the runner tells its children how to report through NODE_TEST_CONTEXT.
      const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
        cwd: join(HERE, '..'),
        encoding: 'utf8',
        env,
      });
      return { status: run.status, output: `${run.stdout}${run.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('prints one skip line and never runs the body of a skipped suite', () => {
    const decision = decideSuite(NEEDS, {});
    const { status, output } = runSuite(decision);
    assert.equal(status, 0, output);
    assert.doesNotMatch(output, /BODY RAN/);
    const skips = output.split('\n').filter((l) => l.includes('# SKIP'));
    assert.deepEqual(skips, [
      'ok 1 - Needy # SKIP interop: skipped: postfix not installed (run: sudo bash test/interop/install-mtas.sh)',
    ]);
  });

  it('fails one test with the message under CI, without running the body', () => {
    const { status, output } = runSuite(decideSuite(NEEDS, { CI: 'true' }));
    assert.equal(status, 1, output);
    assert.doesNotMatch(output, /BODY RAN/);
    assert.match(output, /not ok 1 - has what the suite needs on this machine/);
    assert.match(output, /interop: postfix not installed, and CI is set/);
  });

  it('runs the body when nothing is missing', () => {
    const { status, output } = runSuite({ action: 'run' });
    assert.equal(status, 0, output);
    assert.match(output, /BODY RAN/);
    assert.match(output, /ok 1 - uses the prerequisite/);
  });
});
