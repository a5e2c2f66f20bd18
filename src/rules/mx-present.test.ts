import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mxTarget, noMxObservation, nullMxObservation, observation } from '../../test/fixtures/observations.js';
import type { DnsFailure } from '../model/observation.js';
import type { CheckState } from '../model/status.js';
import { mxPresent } from './mx-present.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

/** No MX target, the MX lookup having failed with `code`. */
function lookupFailed(code: DnsFailure['code'], message: string) {
  const base = noMxObservation();
  return { ...base, dns: { ...base.dns, mx_error: { name: 'example.com', rrtype: 'MX' as const, code, message } } };
}

describe('smtp.mx_present', () => {
  it('is OK with published MX records', () => {
    assert.deepEqual(brief(mxPresent.evaluate(observation())), [[1, 'smtp.mx_present.ok', 'example.com']]);
  });

  it('counts the published MX records and names them in meta', () => {
    const base = observation();
    const obs = {
      ...base,
      dns: { ...base.dns, mx: [mxTarget('mx1.example.com'), mxTarget('mx2.example.com', { preference: 20 })] },
    };
    const [s] = mxPresent.evaluate(obs);
    assert.equal(s!.message, 'example.com publishes 2 MX records.');
    assert.deepEqual(s!.meta, { mx: ['mx1.example.com', 'mx2.example.com'] });
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
    const states = mxPresent.evaluate(lookupFailed('SERVFAIL', 'server failure'));
    assert.deepEqual(brief(states), [[0, 'smtp.mx.lookup_failed', 'example.com']]);
    assert.match(states[0]!.message, /SERVFAIL/);
  });

  it('is UNKNOWN on a timed-out lookup too, and tells how to check the name servers', () => {
    const states = mxPresent.evaluate(lookupFailed('TIMEOUT', 'query timed out'));
    assert.deepEqual(brief(states), [[0, 'smtp.mx.lookup_failed', 'example.com']]);
    assert.match(String(states[0]!.meta?.['fix']), /dig MX example\.com/);
    assert.deepEqual(states[0]!.meta?.['dns_error'], {
      name: 'example.com',
      rrtype: 'MX',
      code: 'TIMEOUT',
      message: 'query timed out',
    });
  });

  it('is CRIT when the domain does not exist', () => {
    const states = mxPresent.evaluate(lookupFailed('NXDOMAIN', 'no such domain'));
    assert.deepEqual(brief(states), [[4, 'smtp.mx.none', 'example.com']]);
    assert.match(states[0]!.message, /does not exist/);
  });
});
