import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointBudget } from './endpoint-budget.js';

test('EndpointBudget charges units per client and window, and refuses a charge it cannot cover whole', () => {
  let now = 1_000_000;
  const budget = new EndpointBudget(10, 60_000, () => now);
  assert.deepEqual(budget.charge('a', 1), { ok: true, left: 9 });
  assert.deepEqual(budget.charge('a', 8), { ok: true, left: 1 });
  now += 15_000;
  assert.deepEqual(budget.charge('a', 2), { ok: false, left: 1, retryAfterS: 45 }, 'nothing spent on a refusal');
  assert.deepEqual(budget.charge('a', 1), { ok: true, left: 0 });
  assert.deepEqual(budget.charge('b', 10), { ok: true, left: 0 }, 'another client has its own budget');
  now += 45_000;
  assert.deepEqual(budget.charge('a', 10), { ok: true, left: 0 }, 'a new window starts full');
});
