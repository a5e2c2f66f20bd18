import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mxTarget, SYSTEM_RESOLVER } from '../../test/fixtures/observations.js';
import type { DnsFacts, MxTarget } from '../model/observation.js';
import { capEndpoints, planEndpoints } from './plan-endpoints.js';

/** Live DNS facts for these targets, given in the order collectDnsFacts sorts them (preference, then name). */
function facts(...mx: MxTarget[]): DnsFacts {
  return {
    source: 'live',
    resolver: SYSTEM_RESOLVER,
    resolver_check: null,
    mx_not_probed: [],
    mx_unlisted: 0,
    mx_error: null,
    null_mx: false,
    implicit_mx: false,
    mx,
  };
}

describe('planEndpoints()', () => {
  it('plans one endpoint per address, IPv4 and IPv6 alike, on the given port', () => {
    const plan = planEndpoints(
      facts(mxTarget('mx1.example.com', { ipv4: ['192.0.2.10'], ipv6: ['2001:db8::10'] })),
      2525,
    );
    assert.deepEqual(plan, [
      { address: '192.0.2.10', family: 4, port: 2525, mx: ['mx1.example.com'], preference: 10 },
      { address: '2001:db8::10', family: 6, port: 2525, mx: ['mx1.example.com'], preference: 10 },
    ]);
  });

  it('probes an address once however many MX names lead to it, keeping every name and the best preference', () => {
    const plan = planEndpoints(
      facts(
        mxTarget('mx1.example.com', { preference: 10, ipv4: ['192.0.2.10'] }),
        mxTarget('mx2.example.com', { preference: 20, ipv4: ['192.0.2.10', '192.0.2.20'] }),
        // The same name twice (two MX records, one target) is listed once.
        mxTarget('mx2.example.com', { preference: 30, ipv4: ['192.0.2.20'] }),
      ),
      25,
    );
    assert.deepEqual(
      plan.map((t) => [t.address, t.mx, t.preference]),
      [
        ['192.0.2.10', ['mx1.example.com', 'mx2.example.com'], 10],
        ['192.0.2.20', ['mx2.example.com'], 20],
      ],
    );
  });

  it('takes the lower preference when a later name reaching the same address is preferred', () => {
    // Facts from a host's MX service need not be sorted: the preference still comes out the lowest.
    const plan = planEndpoints(
      facts(
        mxTarget('backup.example.com', { preference: 50, ipv4: ['192.0.2.10'] }),
        mxTarget('mx1.example.com', { preference: 5, ipv4: ['192.0.2.10'] }),
      ),
      25,
    );
    assert.equal(plan.length, 1);
    assert.equal(plan[0]!.preference, 5);
    assert.deepEqual(plan[0]!.mx, ['backup.example.com', 'mx1.example.com']);
  });

  it('orders by preference, then IPv4 before IPv6, then address with numbers compared as numbers', () => {
    const plan = planEndpoints(
      facts(
        mxTarget('mx1.example.com', { preference: 10, ipv4: ['192.0.2.10', '192.0.2.9'], ipv6: ['2001:db8::1'] }),
        mxTarget('mx0.example.com', { preference: 5, ipv6: ['2001:db8::5'] }),
      ),
      25,
    );
    assert.deepEqual(
      plan.map((t) => t.address),
      ['2001:db8::5', '192.0.2.9', '192.0.2.10', '2001:db8::1'],
    );
  });

  it('plans nothing for an IP literal MX target: senders do not deliver to one', () => {
    const plan = planEndpoints(
      facts(
        mxTarget('192.0.2.1', { ip_literal: true, ipv4: ['192.0.2.1'] }),
        mxTarget('mx1.example.com', { preference: 20, ipv4: ['192.0.2.10'] }),
      ),
      25,
    );
    assert.deepEqual(
      plan.map((t) => t.address),
      ['192.0.2.10'],
    );
  });

  it('plans nothing for targets without addresses, nor for no target at all', () => {
    assert.deepEqual(planEndpoints(facts(mxTarget('mx1.example.com')), 25), []);
    assert.deepEqual(planEndpoints(facts(), 25), []);
  });

  it('plans the implicit MX like any other target', () => {
    const plan = planEndpoints(
      facts(mxTarget('example.com', { implicit: true, preference: 0, ipv4: ['192.0.2.7'] })),
      25,
    );
    assert.deepEqual(plan, [{ address: '192.0.2.7', family: 4, port: 25, mx: ['example.com'], preference: 0 }]);
  });
});

describe('capEndpoints()', () => {
  const v4 = (k: number, n: number) => Array.from({ length: n }, (_, i) => `192.0.${k}.${i + 1}`);

  it("keeps every endpoint under the cap, in the plan's order", () => {
    const dns = facts(mxTarget('mx1.example.com', { ipv4: v4(2, 3) }));
    const plan = planEndpoints(dns, 25);
    assert.deepEqual(capEndpoints(dns, plan, 3), { probe: plan, overCap: [] });
  });

  it('fills the cap in rounds over the MX targets and both families, best preference first', () => {
    const dns = facts(
      mxTarget('mx1.example.com', { preference: 10, ipv4: v4(1, 4), ipv6: ['2001:db8::1:1', '2001:db8::1:2'] }),
      mxTarget('mx2.example.com', { preference: 20, ipv4: v4(2, 4) }),
      mxTarget('mx3.example.com', { preference: 30, ipv4: v4(3, 4) }),
    );
    const plan = planEndpoints(dns, 25);
    const { probe, overCap } = capEndpoints(dns, plan, 6);
    // Round 1: mx1's first IPv4 and IPv6, mx2's and mx3's first IPv4; round 2: mx1's second IPv4 and IPv6.
    assert.deepEqual(
      probe.map((t) => t.address),
      ['192.0.1.1', '192.0.1.2', '2001:db8::1:1', '2001:db8::1:2', '192.0.2.1', '192.0.3.1'],
    );
    assert.equal(overCap.length, plan.length - 6);
    assert.ok(overCap.every((t) => !probe.includes(t)));
  });

  it('counts an address reached through several MX names once', () => {
    const dns = facts(
      mxTarget('mx1.example.com', { ipv4: ['192.0.2.1', '192.0.2.2'] }),
      mxTarget('mx2.example.com', { preference: 20, ipv4: ['192.0.2.1', '192.0.2.3'] }),
    );
    const { probe } = capEndpoints(dns, planEndpoints(dns, 25), 2);
    assert.deepEqual(
      probe.map((t) => t.address),
      ['192.0.2.1', '192.0.2.2'],
    );
  });
});
