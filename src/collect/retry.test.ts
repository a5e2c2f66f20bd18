import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpoint, reply, unreachableEndpoint } from '../../test/fixtures/observations.js';
import type { EndpointProbe } from '../model/observation.js';
import { addressGroups, backOff, retryReason, tryAgain, withFirstAttempt } from './retry.js';

/** An endpoint probed from `startMs` (ms after a fixed instant) for `totalMs`. */
function at(e: EndpointProbe, startMs: number, totalMs: number): EndpointProbe {
  return {
    ...e,
    started_at: new Date(Date.UTC(2026, 10, 21, 10) + startMs).toISOString(),
    timings: { ...e.timings, total_ms: totalMs },
  };
}

const busy = (address: string) =>
  endpoint({
    address,
    greeting: reply(421, 'Too many concurrent SMTP connections; please try again later.'),
    ehlo: null,
    transactions: [],
  });
const dropped = (address: string) =>
  endpoint({
    address,
    greeting: null,
    error: { code: 'closed', phase: 'greeting', message: 'the server closed the connection' },
  });

describe('retryReason()', () => {
  it('retries a 421 greeting, alone or not: the server says it is busy', () => {
    const e = at(busy('192.0.2.10'), 0, 20);
    assert.equal(retryReason(e, [e]), 'greeting_421');
  });

  it('retries a refusal or an early close only beside another connected probe of the domain', () => {
    const other = at(endpoint({ address: '192.0.2.11' }), 0, 300);
    const refused = at(unreachableEndpoint('192.0.2.10', 'connect.refused'), 10, 1);
    const early = at(dropped('192.0.2.12'), 10, 5);
    assert.equal(retryReason(refused, [refused, other]), 'connect_refused');
    assert.equal(retryReason(early, [early, other]), 'closed_before_greeting');
    assert.equal(retryReason(refused, [refused]), null, 'alone, a refusal is the answer');
  });

  it('counts another probe that closed just before, within the back-off, but not one long gone', () => {
    const other = at(endpoint({ address: '192.0.2.11' }), 0, 300);
    assert.equal(
      retryReason(at(unreachableEndpoint('192.0.2.10', 'connect.refused'), 1000, 1), [other]),
      'connect_refused',
    );
    assert.equal(retryReason(at(unreachableEndpoint('192.0.2.10', 'connect.refused'), 5000, 1), [other]), null);
  });

  it('never retries a timeout, a 554 greeting, a healthy endpoint or a second attempt', () => {
    const other = at(endpoint({ address: '192.0.2.11' }), 0, 300);
    const timeout = at(unreachableEndpoint('192.0.2.10', 'connect.timeout'), 0, 12000);
    const refusedGreeting = at(endpoint({ address: '192.0.2.12', greeting: reply(554, 'No service') }), 0, 10);
    const again = withFirstAttempt(
      at(busy('192.0.2.13'), 2000, 10),
      at(busy('192.0.2.13'), 0, 10),
      'greeting_421',
      1500,
    );
    for (const e of [timeout, refusedGreeting, other, again]) assert.equal(retryReason(e, [e, other]), null, e.address);
  });
});

describe('withFirstAttempt()', () => {
  it('keeps the second attempt and records the first', () => {
    const first = at(busy('192.0.2.10'), 0, 20);
    const second = at(endpoint({ address: '192.0.2.10' }), 1600, 200);
    const merged = withFirstAttempt(second, first, 'greeting_421', 1580);
    assert.equal(merged.greeting?.code, 220);
    assert.deepEqual(merged.retry, {
      reason: 'greeting_421',
      first_started_at: first.started_at,
      first_greeting: first.greeting,
      first_error: null,
      delay_ms: 1580,
    });
  });
});

describe('backOff()', () => {
  it('ends at once when the signal fires', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = backOff(60_000, controller.signal);
    controller.abort();
    await waiting;
    assert.ok(Date.now() - started < 1000);
  });
});

describe('tryAgain()', () => {
  it('gives each probe of the second attempt its own first attempt, in order', async () => {
    const firsts = ['192.0.2.10', '192.0.2.11'].map((a) => ({
      first: at(busy(a), 0, 20),
      reason: 'greeting_421' as const,
    }));
    const controller = new AbortController();
    controller.abort(); // no back-off to sit through
    const seconds = await tryAgain(
      firsts,
      async () =>
        firsts.map(({ first }) => ({ ...endpoint({ address: first.address }), started_at: new Date().toISOString() })),
      controller.signal,
    );
    assert.deepEqual(
      seconds.map((e) => [e.address, e.greeting?.code, e.retry?.first_started_at, e.retry?.reason]),
      firsts.map(({ first }) => [first.address, 220, first.started_at, 'greeting_421']),
    );
    assert.ok(seconds.every((e) => e.retry!.delay_ms >= 0));
  });
});

describe('addressGroups()', () => {
  it('groups the addresses domains list together, transitively, and keeps unrelated ones apart', () => {
    const groups = addressGroups([
      ['192.0.2.1', '192.0.2.2'],
      ['192.0.2.3'],
      ['192.0.2.2', '192.0.2.4'],
      ['192.0.2.5'],
      [],
    ]);
    const same = (a: string, b: string) => groups.get(a) === groups.get(b);
    assert.equal(groups.size, 5);
    assert.ok(same('192.0.2.1', '192.0.2.4'), 'through 192.0.2.2');
    assert.ok(!same('192.0.2.1', '192.0.2.3'));
    assert.ok(!same('192.0.2.3', '192.0.2.5'));
  });
});
