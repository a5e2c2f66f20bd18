import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mxTarget, noMxObservation, nullMxObservation, observation } from '../../test/fixtures/observations.js';
import type { CheckState } from '../model/status.js';
import { mxPresent } from './mx-present.js';
import { mxSanity } from './mx-sanity.js';
import { nullMx } from './null-mx.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

describe('smtp.null_mx', () => {
  it('is OK without a null MX', () => {
    assert.deepEqual(brief(nullMx.evaluate(observation())), [[1, 'smtp.null_mx.ok', 'example.com']]);
  });
  it('reports a null MX as INFO', () => {
    const [s] = nullMx.evaluate(nullMxObservation());
    assert.deepEqual(brief([s!]), [[2, 'smtp.null_mx', 'example.com']]);
    assert.match(s!.message, /RFC 7505/);
  });
});

describe('smtp.mx_present', () => {
  it('is OK with published MX records', () => {
    assert.deepEqual(brief(mxPresent.evaluate(observation())), [[1, 'smtp.mx_present.ok', 'example.com']]);
  });
  it('is OK with a null MX', () => {
    assert.deepEqual(brief(mxPresent.evaluate(nullMxObservation())), [[1, 'smtp.mx_present.ok', 'example.com']]);
  });
  it('is CRIT without MX nor implicit MX', () => {
    const states = mxPresent.evaluate(noMxObservation());
    assert.deepEqual(brief(states), [[4, 'smtp.mx.none', 'example.com']]);
    assert.match(String(states[0]!.meta?.['fix']), /null MX/);
  });
  it('warns about an implicit MX, with a fix', () => {
    const base = observation();
    const obs = {
      ...base,
      dns: { ...base.dns, implicit_mx: true, mx: [mxTarget('example.com', { implicit: true, ipv4: ['192.0.2.10'] })] },
    };
    const states = mxPresent.evaluate(obs);
    assert.deepEqual(brief(states), [[3, 'smtp.mx.implicit', 'example.com']]);
    assert.match(String(states[0]!.meta?.['fix']), /Publish an MX record/);
  });
  it('is UNKNOWN when the lookup failed with SERVFAIL, naming the code', () => {
    const base = noMxObservation();
    const obs = {
      ...base,
      dns: {
        ...base.dns,
        mx_error: { name: 'example.com', rrtype: 'MX' as const, code: 'SERVFAIL' as const, message: 'server failure' },
      },
    };
    const states = mxPresent.evaluate(obs);
    assert.deepEqual(brief(states), [[0, 'smtp.mx.lookup_failed', 'example.com']]);
    assert.match(states[0]!.message, /SERVFAIL/);
  });
  it('is CRIT when the domain does not exist', () => {
    const base = noMxObservation();
    const obs = {
      ...base,
      dns: {
        ...base.dns,
        mx_error: { name: 'example.com', rrtype: 'MX' as const, code: 'NXDOMAIN' as const, message: 'no such domain' },
      },
    };
    const states = mxPresent.evaluate(obs);
    assert.deepEqual(brief(states), [[4, 'smtp.mx.none', 'example.com']]);
    assert.match(states[0]!.message, /does not exist/);
  });
});

describe('smtp.mx_sanity', () => {
  const withTargets = (...mx: ReturnType<typeof mxTarget>[]) => {
    const base = observation();
    return { ...base, dns: { ...base.dns, mx } };
  };
  it('is OK for resolvable host names', () => {
    assert.deepEqual(brief(mxSanity.evaluate(observation())), [[1, 'smtp.mx_sanity.ok', 'example.com']]);
  });
  it('is OK with a null MX', () => {
    assert.deepEqual(brief(mxSanity.evaluate(nullMxObservation())), [[1, 'smtp.mx_sanity.ok', 'example.com']]);
  });
  it('is UNKNOWN with no MX target at all', () => {
    assert.deepEqual(brief(mxSanity.evaluate(noMxObservation())), [[0, 'smtp.mx.untested', 'example.com']]);
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
});
