import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientChecks } from './client-checks.js';

test('ClientChecks bounds the checks one client runs at once, and forgets a client with none', () => {
  const checks = new ClientChecks(2);
  assert.equal(checks.begin('a'), true);
  assert.equal(checks.begin('a'), true);
  assert.equal(checks.begin('a'), false, 'a third at once is refused');
  assert.equal(checks.of('a'), 2, 'the refusal counted nothing');
  assert.equal(checks.begin('b'), true, 'another client is not affected');
  checks.end('a');
  assert.equal(checks.begin('a'), true);
  checks.end('a');
  checks.end('a');
  assert.equal(checks.of('a'), 0);
});
