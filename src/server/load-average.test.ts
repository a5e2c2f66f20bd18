import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOAD_SAMPLE_MS, stepLoadAverages, WorkTracker, type LoadAverages } from './load-average.js';

const close = (a: readonly number[], b: readonly number[], eps = 1e-9) => a.every((x, i) => Math.abs(x - b[i]!) < eps);

test('stepLoadAverages() moves each average by 1 - exp(-5s/window) of the gap', () => {
  const next = stepLoadAverages([0, 0, 0], 4);
  assert.ok(
    close(next, [4 * (1 - Math.exp(-5 / 60)), 4 * (1 - Math.exp(-5 / 300)), 4 * (1 - Math.exp(-5 / 900))]),
    String(next),
  );
  assert.ok(next[0] > next[1] && next[1] > next[2], 'the shorter window reacts faster');
});

test('stepLoadAverages() converges to a steady inflight and decays back to zero', () => {
  let avg: LoadAverages = [0, 0, 0];
  for (let i = 0; i < (3 * 60 * 60_000) / LOAD_SAMPLE_MS; i++) avg = stepLoadAverages(avg, 3); // three hours at 3
  assert.ok(close(avg, [3, 3, 3], 1e-3), String(avg));
  avg = stepLoadAverages(avg, 0);
  assert.ok(avg[0] < avg[1] && avg[1] < avg[2] && avg[2] < 3);
  assert.deepEqual(stepLoadAverages([0, 0, 0], 0), [0, 0, 0]);
});

test('WorkTracker counts in-flight and total work and samples on its timer', async () => {
  const tracker = new WorkTracker(10);
  try {
    const endFirst = tracker.begin();
    const endSecond = tracker.begin();
    endFirst();
    assert.equal(tracker.inflight, 1);
    assert.equal(tracker.total, 2);
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(tracker.loadavg()[0] > 0, 'sampled at least once');
    endSecond();
    endSecond();
    endFirst();
    assert.equal(tracker.inflight, 0, 'each request ends once: never negative, never another request ended');
  } finally {
    tracker.stop();
  }
});
