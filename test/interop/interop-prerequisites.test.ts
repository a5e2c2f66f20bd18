/**
 * Which interop suites this machine can run, read from a probe of the
 * machine (so no MTA has to be uninstalled to test it): the binaries
 * install-mtas.sh puts in place, and root.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIM, OPENSMTPD, POSTFIX, POSTFIX_POSTSCREEN } from './interop-mtas.js';
import { interopDecision, missingFor, type MachineProbe } from './interop-prerequisites.js';

/** A machine with exactly these binaries, as root or not. */
const machine = (isRoot: boolean, ...binaries: string[]): MachineProbe => ({
  isRoot,
  exists: (path) => binaries.includes(path),
});
const EVERYTHING = machine(true, POSTFIX.binary, EXIM.binary, OPENSMTPD.binary);

describe('missingFor()', () => {
  it('finds nothing missing on a machine set up by install-mtas.sh, run as root', () => {
    assert.deepEqual(missingFor([POSTFIX, POSTFIX_POSTSCREEN, EXIM, OPENSMTPD], EVERYTHING), []);
  });

  it('names the package of each missing binary once, and a missing root', () => {
    assert.deepEqual(missingFor([POSTFIX, POSTFIX_POSTSCREEN], machine(true)), ['postfix not installed']);
    assert.deepEqual(missingFor([EXIM], machine(false, POSTFIX.binary)), [
      'exim4-daemon-light not installed',
      'not running as root',
    ]);
    assert.deepEqual(missingFor([OPENSMTPD], machine(false, OPENSMTPD.binary)), ['not running as root']);
  });

  it('looks for each MTA where install-mtas.sh puts it', () => {
    assert.equal(POSTFIX.binary, '/usr/sbin/postfix');
    assert.equal(POSTFIX_POSTSCREEN.binary, POSTFIX.binary);
    assert.match(EXIM.binary, /test\/interop\/\.mta\/root\/usr\/sbin\/exim4$/);
    assert.match(OPENSMTPD.binary, /test\/interop\/\.mta\/root\/usr\/sbin\/smtpd$/);
  });
});

describe('interopDecision()', () => {
  it('runs a suite whose MTA is installed, as root', () => {
    assert.deepEqual(interopDecision([EXIM], EVERYTHING, {}), { action: 'run' });
    assert.deepEqual(interopDecision([EXIM], EVERYTHING, { CI: 'true' }), { action: 'run' });
  });

  it('skips a suite whose MTA is missing in one line with the install command', () => {
    assert.deepEqual(interopDecision([POSTFIX, POSTFIX_POSTSCREEN], machine(true, EXIM.binary), {}), {
      action: 'skip',
      line: 'interop: skipped: postfix not installed (run: sudo bash test/interop/install-mtas.sh)',
    });
  });

  it('says to run the tests as root when only root is missing', () => {
    assert.deepEqual(interopDecision([OPENSMTPD], machine(false, OPENSMTPD.binary), {}), {
      action: 'skip',
      line: 'interop: skipped: not running as root (run the tests as root: the MTAs start only as root)',
    });
  });

  it('asks for both when the MTA and root are missing', () => {
    assert.deepEqual(interopDecision([EXIM], machine(false), {}), {
      action: 'skip',
      line: 'interop: skipped: exim4-daemon-light not installed, not running as root (run: sudo bash test/interop/install-mtas.sh, then the tests as root)',
    });
  });

  it('fails instead of skipping when CI is set', () => {
    const decision = interopDecision([OPENSMTPD], machine(true), { CI: '1' });
    assert.equal(decision.action, 'fail');
    assert.match(
      decision.action === 'fail' ? decision.message : '',
      /^interop: opensmtpd not installed, and CI is set/,
    );
  });
});
