import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEY_BITS, NameSet, nameKey } from './name-key.js';

test('nameKey() is a stable integer of 52 bits, different for different names', () => {
  assert.equal(nameKey('example.com'), nameKey('example.com'));
  assert.notEqual(nameKey('example.com'), nameKey('example.org'));
  const keys = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const k = nameKey(`d${i}.example`);
    assert.ok(Number.isSafeInteger(k) && k >= 0 && k < 2 ** KEY_BITS, String(k));
    keys.add(k);
  }
  assert.equal(keys.size, 10_000, 'no collision among 10,000 names');
});

test('NameSet.add() says whether a name was new, and has() finds it', () => {
  const set = new NameSet();
  assert.equal(set.add('a.example'), true);
  assert.equal(set.add('a.example'), false);
  assert.equal(set.add('b.example'), true);
  assert.ok(set.has('b.example'));
  assert.ok(!set.has('c.example'));
  assert.equal(set.size, 2);
});
