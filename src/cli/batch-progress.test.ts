import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createBatchProgress, formatDuration, progressLine } from './batch-progress.js';

test('formatDuration() says hours and minutes, or minutes, or seconds', () => {
  assert.equal(formatDuration(45_000), '45 s');
  assert.equal(formatDuration(125_000), '2 min 5 s');
  assert.equal(formatDuration(12 * 60_000), '12 min');
  assert.equal(formatDuration((3 * 3600 + 34 * 60 + 20) * 1000), '3 h 34 min');
});

test('progressLine() gives done/total, the rate of this run and the time left', () => {
  // 1,234 handled of 10,000, of which 41 checked per minute: (10,000 - 1,234) / 41 ≈ 213.8 min.
  const line = progressLine({ handled: 1234, checked: 410 }, 10_000, 10 * 60_000);
  assert.equal(line, '1,234/10,000 domains, 41/min, ETA 3 h 33 min');
  assert.equal(progressLine({ handled: 5, checked: 0 }, 10, 1000), '5/10 domains', 'no rate before a check finishes');
  assert.equal(
    progressLine({ handled: 60, checked: 60 }, null, 60_000),
    '60 domains, 60/min',
    'stdin: no total, no ETA',
  );
});

test('off a terminal, a plain progress line is written every interval, only when it changed', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => (text += b.toString()));
  let clock = 0;
  const progress = createBatchProgress(out, { total: 100, tty: false, intervalMs: 20, now: () => clock });
  clock = 60_000;
  progress.update({ handled: 50, checked: 50 });
  await new Promise((r) => setTimeout(r, 70));
  progress.stop();
  const lines = text.trim().split('\n');
  assert.deepEqual(lines, ['50/100 domains, 50/min, ETA 1 min'], 'several intervals, one line: nothing moved after it');
});
