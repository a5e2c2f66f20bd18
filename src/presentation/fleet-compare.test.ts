import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Status } from '../model/status.js';
import { batchLine } from '../../test/fixtures/batch-lines.js';
import { FleetComparison, PreviousRun } from './fleet-compare.js';

function previous(): PreviousRun {
  const p = new PreviousRun();
  p.add(batchLine('same.example', 'WARN', [[Status.WARN, 'smtp.ptr.missing']]));
  p.add(batchLine('worse.example', 'OK'));
  p.add(
    batchLine('better.example', 'CRIT', [
      [Status.CRIT, 'smtp.open_relay'],
      [Status.WARN, 'smtp.ptr.missing'],
    ]),
  );
  p.add(batchLine('gone.example', 'OK'));
  return p;
}

test('FleetComparison names new and fixed findings and the domains whose verdict moved', () => {
  const prev = previous();
  assert.equal(prev.size, 4);
  const c = new FleetComparison(prev, 'week1.jsonl');
  c.add(batchLine('same.example', 'WARN', [[Status.WARN, 'smtp.ptr.missing']]), 1);
  c.add(
    batchLine('worse.example', 'CRIT', [
      [Status.CRIT, 'smtp.open_relay'],
      [Status.INFO, 'smtp.ext.missing'],
    ]),
    2,
  );
  c.add(batchLine('better.example', 'WARN', [[Status.WARN, 'smtp.ptr.missing']]), 3);
  c.add(batchLine('new.example', 'CRIT', [[Status.CRIT, 'smtp.mx.none']]), 4);
  const m = c.model();
  assert.equal(m.previous, 'week1.jsonl');
  assert.deepEqual([m.previousDomains, m.common, m.added, m.dropped], [4, 3, 1, 1]);
  assert.deepEqual(m.newFindings, [
    { code: 'smtp.ext.missing', domains: 1 },
    { code: 'smtp.open_relay', domains: 1 },
  ]);
  assert.deepEqual(m.fixedFindings, [{ code: 'smtp.open_relay', domains: 1 }]);
  assert.deepEqual(m.worse, { total: 1, items: [{ domain: 'worse.example', line: 2, from: 'OK', to: 'CRIT' }] });
  assert.deepEqual(m.better, { total: 1, items: [{ domain: 'better.example', line: 3, from: 'CRIT', to: 'WARN' }] });
});

test('PreviousRun keeps a number and a short string per domain, never the states', () => {
  const p = previous();
  for (const [key, packed] of p.entries) {
    assert.equal(typeof key, 'number');
    assert.match(packed, /^\d\|(\d+(,\d+)*)?$/);
  }
  assert.deepEqual(p.codeNames, ['smtp.ptr.missing', 'smtp.open_relay']);
});
