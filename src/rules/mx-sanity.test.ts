import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mxTarget, noMxObservation, nullMxObservation, observation } from '../../test/fixtures/observations.js';
import type { CheckState } from '../model/status.js';
import { mxSanity } from './mx-sanity.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

const withTargets = (...mx: ReturnType<typeof mxTarget>[]) => {
  const base = observation();
  return { ...base, dns: { ...base.dns, mx } };
};

describe('smtp.mx_sanity', () => {
  it('is OK for resolvable host names', () => {
    assert.deepEqual(brief(mxSanity.evaluate(observation())), [[1, 'smtp.mx_sanity.ok', 'example.com']]);
  });

  it('names the one target, or counts them all, when they are fine', () => {
    const one = mxSanity.evaluate(observation());
    assert.match(one[0]!.message, /^The MX target mx1\.example\.com is a host name with A\/AAAA records/);
    const two = mxSanity.evaluate(
      withTargets(
        mxTarget('mx1.example.com', { ipv4: ['192.0.2.10'] }),
        mxTarget('mx2.example.com', { ipv6: ['2001:db8::20'] }),
      ),
    );
    assert.match(two[0]!.message, /^All 2 MX targets are host names/);
  });

  it('is OK with a null MX', () => {
    assert.deepEqual(brief(mxSanity.evaluate(nullMxObservation())), [[1, 'smtp.mx_sanity.ok', 'example.com']]);
  });

  it('is UNKNOWN with no MX target at all', () => {
    assert.deepEqual(brief(mxSanity.evaluate(noMxObservation())), [[0, 'smtp.mx.untested', 'example.com']]);
  });

  it('leaves an implicit MX to smtp.mx_present', () => {
    const base = withTargets(mxTarget('example.com', { implicit: true, ipv4: ['192.0.2.10'] }));
    const states = mxSanity.evaluate({ ...base, dns: { ...base.dns, implicit_mx: true } });
    assert.deepEqual(brief(states), [[1, 'smtp.mx_sanity.ok', 'example.com']]);
    assert.match(states[0]!.message, /reported by smtp\.mx_present/);
  });

  it('flags IP literals, CNAMEs and unresolved names per target, sorted by name', () => {
    const obs = withTargets(
      mxTarget('mx3.example.com', {
        errors: [{ name: 'mx3.example.com', rrtype: 'A', code: 'NXDOMAIN', message: 'no such name' }],
      }),
      mxTarget('192.0.2.1', { ip_literal: true }),
      mxTarget('mx2.example.com', { cname_chain: ['mail.provider.net'], ipv4: ['192.0.2.2'] }),
      mxTarget('example.com', { implicit: true }),
    );
    const states = mxSanity.evaluate(obs);
    assert.deepEqual(brief(states), [
      [4, 'smtp.mx.ip_literal', '192.0.2.1'],
      [4, 'smtp.mx.cname', 'mx2.example.com'],
      [4, 'smtp.mx.unresolved', 'mx3.example.com'],
    ]);
    assert.match(String(states[1]!.meta?.['fix']), /A\/AAAA records .*RFC 5321 §5\.1/);
    assert.match(states[2]!.message, /NXDOMAIN/);
  });

  it('points a CNAME target at the end of its chain', () => {
    const [s] = mxSanity.evaluate(
      withTargets(
        mxTarget('mx1.example.com', { cname_chain: ['a.example.net', 'b.example.net'], ipv4: ['192.0.2.2'] }),
      ),
    );
    assert.match(s!.message, /CNAME to a\.example\.net → b\.example\.net/);
    assert.match(String(s!.meta?.['fix']), /canonical name b\.example\.net/);
    assert.deepEqual(s!.meta?.['cname_chain'], ['a.example.net', 'b.example.net']);
  });

  it('words transient failures as "could not be resolved", still CRIT', () => {
    const obs = withTargets(
      mxTarget('mx1.example.com', {
        errors: [{ name: 'mx1.example.com', rrtype: 'A', code: 'SERVFAIL', message: 'x' }],
      }),
    );
    const [s] = mxSanity.evaluate(obs);
    assert.deepEqual(brief([s!]), [[4, 'smtp.mx.unresolved', 'mx1.example.com']]);
    assert.match(s!.message, /could not be resolved \(SERVFAIL\)/);
  });

  it('reports a CNAME target that also fails to resolve twice', () => {
    const obs = withTargets(mxTarget('mx1.example.com', { cname_chain: ['gone.example.net'] }));
    assert.deepEqual(brief(mxSanity.evaluate(obs)), [
      [4, 'smtp.mx.cname', 'mx1.example.com'],
      [4, 'smtp.mx.unresolved', 'mx1.example.com'],
    ]);
  });

  it('warns of an IPv4-mapped AAAA: not IPv6, probed once as the IPv4 it maps', () => {
    const states = mxSanity.evaluate(
      withTargets(mxTarget('mx1.example.com', { ipv4: ['192.0.2.10'], ipv4_mapped: ['::ffff:192.0.2.10'] })),
    );
    assert.deepEqual(brief(states), [[3, 'smtp.mx.mapped_aaaa', 'mx1.example.com']]);
    assert.match(states[0]!.message, /publishes AAAA ::ffff:192\.0\.2\.10: an IPv4-mapped address, not IPv6/);
    assert.match(String(states[0]!.meta?.['fix']), /Remove the AAAA record of mx1\.example\.com/);
  });

  it('says UNKNOWN for each MX target not probed (over the cap, outside the allow-list) and for the unlisted rest', () => {
    const base = observation();
    const states = mxSanity.evaluate({
      ...base,
      dns: {
        ...base.dns,
        mx_not_probed: [
          {
            preference: 110,
            name: 'mx11.example.com',
            reason: 'capped',
            message: 'not probed: over the cap of 10 MX targets per check',
          },
          {
            preference: 5,
            name: 'mx.other.test',
            reason: 'not_allowed',
            message: "not probed: mx.other.test is outside this checker's list of allowed domains",
          },
        ],
        mx_unlisted: 3,
      },
    });
    assert.deepEqual(brief(states), [
      [0, 'smtp.mx.not_probed', 'example.com'],
      [0, 'smtp.mx.not_probed', 'mx11.example.com'],
      [0, 'smtp.mx.not_probed', 'mx.other.test'],
    ]);
    assert.match(
      states.find((s) => s.subject === 'mx.other.test')!.message,
      /was not probed: mx\.other\.test is outside/,
    );
    assert.match(states[0]!.message, /^3 more MX targets of example\.com were neither looked up nor probed/);
  });
});
