/**
 * `npm ci` must install without an EBADENGINE warning on every Node version
 * the README and package.json claim: every locked package's `engines.node`
 * accepts the lowest release of each supported line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { PACKAGE_ROOT } from '../src/model/package-info.js';

const read = (file: string) => JSON.parse(readFileSync(join(PACKAGE_ROOT, file), 'utf8')) as Record<string, unknown>;

test('every locked package accepts the lowest release of every Node line package.json claims', () => {
  const pkg = read('package.json') as { engines: { node: string } };
  const lock = read('package-lock.json') as {
    packages: Record<string, { engines?: { node?: string }; optional?: boolean }>;
  };
  const claimed = pkg.engines.node;
  // The lowest version of each range of the claim ("^20.19.0 || ^22.13.0 || >=24"): 20.19.0, 22.13.0, 24.0.0.
  const lowest = new semver.Range(claimed).set.map(
    (comparators) => semver.minVersion(comparators.map(String).join(' '))!.version,
  );
  assert.ok(lowest.length >= 2, `several Node lines claimed: ${claimed}`);
  const refusing = Object.entries(lock.packages).flatMap(([path, p]) =>
    p.engines?.node === undefined
      ? []
      : lowest
          .filter((v) => !semver.satisfies(v, p.engines!.node!))
          .map((v) => `${path} wants node ${p.engines!.node}, not ${v}`),
  );
  assert.deepEqual(refusing, []);
});

test('the README states the Node versions package.json claims', () => {
  const claimed = (read('package.json') as { engines: { node: string } }).engines.node;
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes(claimed), `README mentions ${claimed}`);
});
