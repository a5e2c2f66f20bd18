import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  egressBlockedObservation,
  endpoint,
  noMxObservation,
  nullMxObservation,
  observation,
  unreachableEndpoint,
} from '../../test/fixtures/observations.js';
import type { CheckState } from '../model/status.js';
import { ipv6Reachable } from './ipv6-reachable.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

describe('smtp.ipv6_reachable', () => {
  it("cannot tell when port 25 is blocked on the checker's side", () => {
    const states = ipv6Reachable.evaluate(egressBlockedObservation());
    assert.deepEqual(brief(states), [[0, 'smtp.ipv6.untestable', 'example.com']]);
    assert.match(
      states[0]!.message,
      /not tested: this machine cannot reach port 25\); this says nothing about the domain/,
    );
  });

  it('is OK when an IPv6 endpoint connects', () => {
    assert.deepEqual(brief(ipv6Reachable.evaluate(observation())), [[1, 'smtp.ipv6_reachable.ok', 'example.com']]);
  });

  it('is INFO without any IPv6 endpoint, with a fix', () => {
    const states = ipv6Reachable.evaluate(observation({ endpoints: [endpoint()] }));
    assert.deepEqual(brief(states), [[2, 'smtp.ipv6.none', 'example.com']]);
    assert.match(String(states[0]!.meta?.['fix']), /AAAA/);
  });

  it('blames the checker when every IPv6 endpoint has no route', () => {
    const obs = observation({ endpoints: [endpoint(), unreachableEndpoint('2001:db8::10', 'connect.unreachable')] });
    const states = ipv6Reachable.evaluate(obs);
    assert.deepEqual(brief(states), [[0, 'smtp.ipv6.untestable', 'example.com']]);
    assert.match(states[0]!.message, /checker has no IPv6 route/);
  });

  it('is INFO when IPv6 endpoints exist but none connects', () => {
    const obs = observation({
      endpoints: [
        endpoint(),
        unreachableEndpoint('2001:db8::10', 'connect.refused'),
        unreachableEndpoint('2001:db8::11', 'connect.unreachable'),
      ],
    });
    assert.deepEqual(brief(ipv6Reachable.evaluate(obs)), [[2, 'smtp.ipv6.unreachable', 'example.com']]);
  });

  it('collapses on a null MX and has nothing to test without endpoints', () => {
    assert.deepEqual(brief(ipv6Reachable.evaluate(nullMxObservation())), [
      [2, 'smtp.null_mx.not_probed', 'example.com'],
    ]);
    assert.deepEqual(brief(ipv6Reachable.evaluate(noMxObservation())), [[0, 'smtp.ipv6.untested', 'example.com']]);
  });
});
