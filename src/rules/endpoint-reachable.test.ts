import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allUnreachableObservation,
  egressBlockedObservation,
  endpoint,
  noMxObservation,
  nullMxObservation,
  observation,
  unreachableEndpoint,
} from '../../test/fixtures/observations.js';
import type { CheckState } from '../model/status.js';
import { endpointReachable } from './endpoint-reachable.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

describe('smtp.endpoint_reachable', () => {
  it('is OK when every endpoint connects', () => {
    const states = endpointReachable.evaluate(observation());
    assert.deepEqual(brief(states), [[1, 'smtp.endpoint_reachable.ok', 'example.com']]);
    assert.match(states[0]!.message, /Both endpoints accept TCP connections on port 25/);
  });

  it('reports each unreachable endpoint with the reason', () => {
    const obs = observation({
      endpoints: [endpoint({ address: '192.0.2.10' }), unreachableEndpoint('192.0.2.11', 'connect.refused')],
    });
    const states = endpointReachable.evaluate(obs);
    assert.deepEqual(brief(states), [[4, 'smtp.endpoint.unreachable', '192.0.2.11:25']]);
    assert.match(states[0]!.message, /refused the connection/);
    assert.ok(states[0]!.meta?.['fix']);
  });

  it('reports an endpoint the target policy refused as not tested, never as unreachable', () => {
    const obs = observation({ endpoints: [unreachableEndpoint('10.0.0.5', 'policy.refused')] });
    const states = endpointReachable.evaluate(obs);
    assert.deepEqual(brief(states), [[0, 'smtp.endpoint.refused', '10.0.0.5:25']]);
    assert.match(states[0]!.message, /was not probed: 10\.0\.0\.5 is a private address/);
    assert.match(String(states[0]!.meta?.['fix']), /--allow-private-targets/);
  });

  it('adds smtp.all_unreachable when nothing connects', () => {
    assert.deepEqual(brief(endpointReachable.evaluate(allUnreachableObservation())), [
      [4, 'smtp.endpoint.unreachable', '192.0.2.10:25'],
      [4, 'smtp.endpoint.unreachable', '[2001:db8::10]:25'],
      [4, 'smtp.all_unreachable', 'example.com'],
    ]);
  });

  it('blames the checker, not the domain, when no IPv6 endpoint has a route', () => {
    const obs = observation({
      endpoints: [endpoint({ address: '192.0.2.10' }), unreachableEndpoint('2001:db8::10', 'connect.unreachable')],
    });
    const states = endpointReachable.evaluate(obs);
    assert.deepEqual(brief(states), [[0, 'smtp.endpoint.untestable', '[2001:db8::10]:25']]);
    assert.match(states[0]!.message, /no IPv6 route/);
  });

  it('does not count untestable IPv6 endpoints toward all_unreachable', () => {
    const obs = observation({
      endpoints: [unreachableEndpoint('192.0.2.10'), unreachableEndpoint('2001:db8::10', 'connect.unreachable')],
    });
    assert.deepEqual(brief(endpointReachable.evaluate(obs)), [
      [4, 'smtp.endpoint.unreachable', '192.0.2.10:25'],
      [0, 'smtp.endpoint.untestable', '[2001:db8::10]:25'],
      [4, 'smtp.all_unreachable', 'example.com'],
    ]);
  });

  it('treats "no route" as the domain\'s problem when another IPv6 endpoint connects', () => {
    const obs = observation({
      endpoints: [endpoint({ address: '2001:db8::10' }), unreachableEndpoint('2001:db8::11', 'connect.unreachable')],
    });
    assert.deepEqual(brief(endpointReachable.evaluate(obs)), [[4, 'smtp.endpoint.unreachable', '[2001:db8::11]:25']]);
  });

  it('does not blame the endpoints when this machine reaches port 25 nowhere (the egress check failed too)', () => {
    const states = endpointReachable.evaluate(egressBlockedObservation());
    assert.deepEqual(brief(states), [
      [0, 'smtp.endpoint.egress_blocked', '192.0.2.10:25'],
      [0, 'smtp.endpoint.egress_blocked', '[2001:db8::10]:25'],
    ]);
    assert.match(
      states[0]!.message,
      /this machine cannot reach port 25 anywhere \(the egress check failed too: gmail-smtp-in\.l\.google\.com \(192\.0\.2\.250\) port 25: timeout, no answer .*\); many ISPs and clouds block it/,
    );
    assert.match(String(states[0]!.meta?.['fix']), /from a host allowed to send on port 25/);
  });

  it('blames the endpoints when the egress check reached port 25 elsewhere, and says so', () => {
    const obs = allUnreachableObservation();
    const egress = {
      outcome: 'reachable' as const,
      canaries: [
        {
          ...egressBlockedObservation().egress!.canaries[0]!,
          outcome: 'connected' as const,
          error: null,
          greeting: '220 mx.google.com ESMTP',
          connect_ms: 20,
        },
      ],
    };
    const states = endpointReachable.evaluate({ ...obs, egress });
    assert.deepEqual(
      brief(states).map((s) => s[1]),
      ['smtp.endpoint.unreachable', 'smtp.endpoint.unreachable', 'smtp.all_unreachable'],
    );
    assert.match(
      states[2]!.message,
      /This machine does reach port 25 elsewhere .*so the problem is on the domain's side/,
    );
  });

  it('reports an endpoint the cut kept from being probed as not probed, and one it interrupted as reachable', () => {
    const cut = {
      code: 'cancelled' as const,
      phase: 'connect' as const,
      message: 'not probed: the check was cancelled',
    };
    const obs = observation({
      endpoints: [
        unreachableEndpoint('192.0.2.10', 'connect.timeout', { error: cut }),
        endpoint({
          address: '192.0.2.11',
          error: { code: 'cancelled', phase: 'ehlo', message: 'the check was cancelled' },
        }),
      ],
    });
    const states = endpointReachable.evaluate(obs);
    assert.deepEqual(brief(states), [[0, 'smtp.endpoint.not_probed', '192.0.2.10:25']]);
    assert.match(states[0]!.message, /was not probed: the check was cancelled\. This says nothing about the server\./);
  });

  it('has nothing to test without endpoints, and collapses on a null MX', () => {
    assert.deepEqual(brief(endpointReachable.evaluate(noMxObservation())), [
      [0, 'smtp.endpoint.untested', 'example.com'],
    ]);
    assert.deepEqual(brief(endpointReachable.evaluate(nullMxObservation())), [
      [2, 'smtp.null_mx.not_probed', 'example.com'],
    ]);
  });

  it('says UNKNOWN not_probed for an endpoint over the cap or left waiting, and counts the unlisted rest', () => {
    const obs = observation({
      endpoints: [
        endpoint({ address: '192.0.2.10' }),
        unreachableEndpoint('192.0.2.11', 'policy.capped'),
        unreachableEndpoint('192.0.2.12', 'queue.timeout'),
      ],
      caps: { max_mx_targets: 10, max_endpoints: 1, endpoints_over_cap: 4 },
    });
    const states = endpointReachable.evaluate(obs);
    assert.deepEqual(brief(states), [
      [0, 'smtp.endpoint.not_probed', '192.0.2.11:25'],
      [0, 'smtp.endpoint.not_probed', '192.0.2.12:25'],
      [0, 'smtp.endpoint.not_probed', 'example.com'],
    ]);
    assert.match(
      states[0]!.message,
      /was not probed: over the cap of 32 endpoints per check.*This says nothing about the server/,
    );
    assert.match(String(states[0]!.meta?.['fix']), /--max-endpoints/);
    assert.match(states[1]!.message, /waited 15\.0 s for a connection slot/);
    assert.match(
      states[2]!.message,
      /^3 more addresses of example\.com's MX hosts were not probed either: over the cap of 1 endpoints/,
    );
  });
});
