import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseMxTargets } from './posture.js';
import { MAX_MX_RECORDS, MAX_MX_TARGETS } from '../../model/limits.js';

const mx = (preference: number, exchange: string) => ({ preference, exchange });

test('chooseMxTargets() takes the 10 best preferences and lists the rest as capped', () => {
  const records = Array.from({ length: 14 }, (_, i) => mx(100 - i, `mx${i}.example.com`));
  const { chosen, notProbed, unlisted } = chooseMxTargets(records);
  assert.equal(chosen.length, MAX_MX_TARGETS);
  assert.deepEqual(
    chosen.map((r) => r.preference),
    [87, 88, 89, 90, 91, 92, 93, 94, 95, 96],
  );
  assert.deepEqual(
    notProbed.map((t) => [t.preference, t.reason]),
    [
      [97, 'capped'],
      [98, 'capped'],
      [99, 'capped'],
      [100, 'capped'],
    ],
  );
  assert.match(notProbed[0]!.message, /^not probed: over the cap of 10 MX targets per check/);
  assert.equal(unlisted, 0);
});

test('chooseMxTargets() skips names the policy refuses without spending the cap on them, and dedups names', () => {
  const refuse = (name: string) => (name.endsWith('.evil.test') ? `not probed: ${name} is not allowed` : null);
  const { chosen, notProbed } = chooseMxTargets(
    [mx(5, 'a.evil.test'), mx(10, 'mx1.example.com'), mx(20, 'mx1.example.com'), mx(30, 'mx2.example.com')],
    refuse,
  );
  assert.deepEqual(
    chosen.map((r) => r.exchange),
    ['mx1.example.com', 'mx2.example.com'],
  );
  assert.deepEqual(notProbed, [
    { preference: 5, name: 'a.evil.test', reason: 'not_allowed', message: 'not probed: a.evil.test is not allowed' },
  ]);
});

test('chooseMxTargets() keeps at most MAX_MX_RECORDS names in all and counts the rest', () => {
  const records = Array.from({ length: 500 }, (_, i) => mx(i, `mx${i}.example.com`));
  const { chosen, notProbed, unlisted } = chooseMxTargets(records);
  assert.equal(chosen.length + notProbed.length, MAX_MX_RECORDS);
  assert.equal(unlisted, 500 - MAX_MX_RECORDS);
});
