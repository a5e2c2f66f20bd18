import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mxTarget, noMxObservation, nullMxObservation, observation } from '../../test/fixtures/observations.js';
import type { DnsFailure, Observation, ResolverCheck } from '../model/observation.js';
import type { CheckState } from '../model/status.js';
import { mxPresent } from './mx-present.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

/** No MX target, the MX lookup having failed with `code`. */
function lookupFailed(code: DnsFailure['code'], message: string) {
  const base = noMxObservation();
  return { ...base, dns: { ...base.dns, mx_error: { name: 'example.com', rrtype: 'MX' as const, code, message } } };
}

/** The MX lookup failed with `code`, and the resolver check said `check`. */
function judged(code: DnsFailure['code'], check: ResolverCheck, cut: Observation['cut'] = null): Observation {
  const base = lookupFailed(code, `query ${code}`);
  return { ...base, cut, dns: { ...base.dns, resolver_check: check } };
}

const ROOT_OK = { name: '.', rrtype: 'SOA' as const, answered: true, error: null };
const failedSoa = (name: string, code: DnsFailure['code']) => ({
  name,
  rrtype: 'SOA' as const,
  answered: false,
  error: { name, rrtype: 'SOA' as const, code, message: `querySoa ${code}` },
});

describe('smtp.mx_present and the resolver', () => {
  it('blames a resolver that fails the root zone too, by name, with a local fix', () => {
    const states = mxPresent.evaluate(
      judged('NXDOMAIN', { root: failedSoa('.', 'NXDOMAIN'), tld: null, conclusion: 'resolver' }),
    );
    assert.deepEqual(brief(states), [[0, 'smtp.mx.resolver_failed', 'example.com']]);
    assert.equal(
      states[0]!.message,
      'Could not look up the MX records of example.com: the system\'s resolver 127.0.0.53:53 answered NXDOMAIN ("query NXDOMAIN"); it fails for the root zone (.) too: NXDOMAIN ("querySoa NXDOMAIN"); it is broken or filtering, so this says nothing about the domain.',
    );
    assert.match(
      String(states[0]!.meta?.['fix']),
      /dig @127\.0\.0\.53 \. SOA" must answer\), or run the check with --resolver IP/,
    );
  });

  it('blames a resolver that refuses the question though it answers the root', () => {
    const states = mxPresent.evaluate(judged('REFUSED', { root: ROOT_OK, tld: null, conclusion: 'resolver' }));
    assert.deepEqual(brief(states), [[0, 'smtp.mx.resolver_failed', 'example.com']]);
    assert.match(states[0]!.message, /did not answer the MX question: REFUSED .* it answers for the root zone/);
  });

  it('names a top-level domain that does not exist as a likely typo', () => {
    const base = judged('NXDOMAIN', { root: ROOT_OK, tld: failedSoa('cmo', 'NXDOMAIN'), conclusion: 'tld_missing' });
    const states = mxPresent.evaluate({ ...base, domain: 'example.cmo' });
    assert.deepEqual(brief(states), [[4, 'smtp.mx.tld_missing', 'example.cmo']]);
    assert.match(states[0]!.message, /the top-level domain \.cmo does not exist \(a typo\?\)/);
  });

  it("on a timeout from a resolver that answers the root, suspects the domain's name servers, naming both fixes", () => {
    const states = mxPresent.evaluate(judged('TIMEOUT', { root: ROOT_OK, tld: null, conclusion: 'domain' }));
    assert.deepEqual(brief(states), [[0, 'smtp.mx.lookup_failed', 'example.com']]);
    assert.match(states[0]!.message, /did not answer in time .* though it answers for the root zone/);
    assert.match(String(states[0]!.meta?.['fix']), /dig \+trace MX example\.com.*--resolver IP/);
  });

  it('says the check was cut when its own deadline ended the lookup', () => {
    const cut = { reason: 'deadline' as const, after_ms: 500, message: 'the 0.5 s deadline of the check ran out' };
    const states = mxPresent.evaluate(judged('TIMEOUT', { root: ROOT_OK, tld: null, conclusion: 'domain' }, cut));
    assert.deepEqual(brief(states), [[0, 'smtp.mx.lookup_failed', 'example.com']]);
    assert.match(states[0]!.message, /the 0\.5 s deadline of the check ran out before the system's resolver/);
  });
});

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

  it('counts MX targets left unprobed as published: MX exist even when none was looked up', () => {
    const base = noMxObservation();
    const states = mxPresent.evaluate({
      ...base,
      dns: {
        ...base.dns,
        mx_not_probed: [{ preference: 10, name: 'mx.other.test', reason: 'not_allowed', message: 'not probed: …' }],
      },
    });
    assert.deepEqual(brief(states), [[1, 'smtp.mx_present.ok', 'example.com']]);
  });
});
