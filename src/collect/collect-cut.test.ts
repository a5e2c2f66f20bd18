import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpoint, unreachableEndpoint } from '../../test/fixtures/observations.js';
import { markCut, startCut } from './collect-cut.js';

describe('startCut()', () => {
  it('fires on the deadline, once, naming it', async () => {
    const cut = startCut(Date.now(), 50);
    assert.equal(cut.current(), null);
    await new Promise((resolve) => cut.signal.addEventListener('abort', resolve, { once: true }));
    assert.equal(cut.current()?.reason, 'deadline');
    assert.equal(cut.message(), 'the 0.1 s deadline of the check ran out');
    cut.dispose();
  });

  it("fires on the caller's cancel, and at once for a signal already aborted", () => {
    const controller = new AbortController();
    const cut = startCut(Date.now(), null, controller.signal);
    controller.abort();
    assert.equal(cut.current()?.reason, 'cancelled');
    assert.equal(cut.message(), 'the check was cancelled');
    assert.equal(startCut(Date.now(), 10_000, AbortSignal.abort()).current()?.reason, 'cancelled');
  });

  it('stops watching once disposed', async () => {
    const controller = new AbortController();
    const cut = startCut(Date.now(), 20, controller.signal);
    cut.dispose();
    controller.abort();
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(cut.current(), null);
  });
});

describe('markCut()', () => {
  const started = Date.parse('2026-11-21T10:00:00.000Z');
  const cut = { reason: 'deadline' as const, after_ms: 2000, message: 'the 2 s deadline of the check ran out' };
  const how = { notDialled: false, budgetMs: 12_000, collectStartedMs: started };

  it('renames a dialogue stopped by the cut before its own budget ran out', () => {
    const e = endpoint({
      started_at: '2026-11-21T10:00:00.000Z',
      error: { code: 'timeout', phase: 'greeting', message: 'the 12 s time budget ran out' },
    });
    const marked = markCut(e, cut, how);
    assert.deepEqual(marked.error, { code: 'deadline', phase: 'greeting', message: cut.message });
    assert.equal(marked.transcript.at(-1)?.text, `cut: ${cut.message}`);
  });

  it('names an endpoint the cut kept from dialling', () => {
    const e = unreachableEndpoint('192.0.2.10', 'policy.refused');
    assert.deepEqual(markCut(e, cut, { ...how, notDialled: true }).error, {
      code: 'deadline',
      phase: 'connect',
      message: `not probed: ${cut.message}`,
    });
  });

  it('leaves alone what the server did, and a budget that ran out on its own', () => {
    const refused = unreachableEndpoint('192.0.2.10', 'connect.refused');
    assert.equal(markCut(refused, cut, how), refused);
    const late = endpoint({
      started_at: '2026-11-21T09:59:00.000Z',
      error: { code: 'timeout', phase: 'greeting', message: 'the 12 s time budget ran out' },
    });
    assert.equal(markCut(late, cut, how), late, 'its budget ended before the cut');
    const healthy = endpoint();
    assert.equal(markCut(healthy, cut, how), healthy);
    assert.equal(markCut(refused, null, how), refused);
  });
});
