import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  egressBlockedObservation,
  endpoint,
  noMxObservation,
  observation,
  unreachableEndpoint,
} from '../../test/fixtures/observations.js';
import type { ReverseDns } from '../model/observation.js';
import type { CheckState } from '../model/status.js';
import { reverseDns } from './reverse-dns.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

const rdns = (over: Partial<ReverseDns>): ReverseDns => ({
  ptr: [],
  ptr_error: null,
  forward: [],
  fcrdns: false,
  ...over,
});

describe('smtp.reverse_dns', () => {
  it('is OK when every address is forward-confirmed', () => {
    assert.deepEqual(brief(reverseDns.evaluate(observation())), [[1, 'smtp.reverse_dns.ok', 'example.com']]);
  });

  it('judges every endpoint, reachable or not', () => {
    const endpoints = [
      endpoint({ address: '192.0.2.1', reverse_dns: rdns({}) }),
      unreachableEndpoint('192.0.2.2', 'connect.timeout', {
        reverse_dns: rdns({
          ptr: ['host.provider.net'],
          forward: [{ name: 'host.provider.net', addresses: ['198.51.100.7'], error: null }],
        }),
      }),
      endpoint({
        address: '192.0.2.3',
        reverse_dns: rdns({
          ptr_error: { name: '3.2.0.192.in-addr.arpa', rrtype: 'PTR', code: 'SERVFAIL', message: 'x' },
        }),
      }),
      endpoint({
        address: '192.0.2.4',
        reverse_dns: rdns({
          ptr: ['mx4.example.com'],
          forward: [
            {
              name: 'mx4.example.com',
              addresses: [],
              error: { name: 'mx4.example.com', rrtype: 'A', code: 'TIMEOUT', message: 'x' },
            },
          ],
        }),
      }),
    ];
    const states = reverseDns.evaluate(observation({ endpoints }));
    assert.deepEqual(brief(states), [
      [3, 'smtp.ptr.missing', '192.0.2.1:25'],
      [3, 'smtp.fcrdns.mismatch', '192.0.2.2:25'],
      [0, 'smtp.ptr.lookup_failed', '192.0.2.3:25'],
      [0, 'smtp.fcrdns.lookup_failed', '192.0.2.4:25'],
    ]);
    assert.match(states[1]!.message, /host\.provider\.net resolves to 198\.51\.100\.7/);
    assert.match(states[1]!.message, /Gmail, Outlook and Yahoo/);
    assert.match(String(states[1]!.meta?.['fix']), /PTR to mx1\.example\.com/);
  });

  it("still judges PTRs when port 25 is blocked on the checker's side: they are DNS facts", () => {
    const obs = egressBlockedObservation();
    obs.endpoints[0]!.reverse_dns = rdns({});
    assert.deepEqual(brief(reverseDns.evaluate(obs)), [[3, 'smtp.ptr.missing', '192.0.2.10:25']]);
  });

  it('is UNKNOWN without endpoints', () => {
    assert.deepEqual(brief(reverseDns.evaluate(noMxObservation())), [[0, 'smtp.ptr.untested', 'example.com']]);
  });

  it('does not judge an endpoint over the cap: no PTR was asked for it', () => {
    const obs = observation({
      endpoints: [endpoint({ address: '192.0.2.10' }), unreachableEndpoint('192.0.2.11', 'policy.capped')],
    });
    const states = reverseDns.evaluate(obs);
    assert.deepEqual(brief(states), [[1, 'smtp.reverse_dns.ok', 'example.com']]);
    assert.match(states[0]!.message, /could not be tested: not probed: over the cap of 32 endpoints/);
  });
});
