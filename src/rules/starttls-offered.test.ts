import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  endpoint,
  nullMxObservation,
  observation,
  reply,
  unreachableEndpoint,
} from '../../test/fixtures/observations.js';
import { noStartTls } from '../../test/fixtures/rule-fixtures.js';
import type { CheckState } from '../model/status.js';
import { offersStartTls, starttlsOffered } from './starttls-offered.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

describe('smtp.starttls_offered', () => {
  it('is OK when every endpoint advertises STARTTLS', () => {
    const states = starttlsOffered.evaluate(observation());
    assert.deepEqual(brief(states), [[1, 'smtp.starttls_offered.ok', 'example.com']]);
    assert.equal(states[0]!.message, 'Both endpoints advertise STARTTLS.');
  });

  it('flags each endpoint without STARTTLS', () => {
    const obs = observation({ endpoints: [endpoint({ address: '192.0.2.10' }), noStartTls('192.0.2.11')] });
    assert.deepEqual(brief(starttlsOffered.evaluate(obs)), [[4, 'smtp.starttls.missing', '192.0.2.11:25']]);
  });

  it('adds smtp.all_no_starttls with the real knobs when none offers it', () => {
    const obs = observation({
      endpoints: [noStartTls('192.0.2.10'), noStartTls('192.0.2.11'), unreachableEndpoint('192.0.2.12')],
    });
    const states = starttlsOffered.evaluate(obs);
    assert.deepEqual(brief(states), [
      [4, 'smtp.starttls.missing', '192.0.2.10:25'],
      [4, 'smtp.starttls.missing', '192.0.2.11:25'],
      [4, 'smtp.all_no_starttls', 'example.com'],
    ]);
    const fix = String(states[2]!.meta?.['fix']);
    for (const knob of [
      'smtpd_tls_security_level = may',
      'smtpd_tls_cert_file',
      'smtpd_tls_key_file',
      'tls_advertise_hosts',
      'tls_certificate',
      'MTA-STS',
      'DANE',
    ]) {
      assert.ok(fix.includes(knob), knob);
    }
  });

  it('says why a HELO-only server offers nothing', () => {
    const heloOnly = {
      ...noStartTls('192.0.2.10'),
      ehlo: reply(502, '5.5.2 Error: command not recognized'),
      helo_fallback: true,
      helo: reply(250, 'mx1.example.com'),
      extensions: null,
    };
    const states = starttlsOffered.evaluate(observation({ endpoints: [heloOnly] }));
    assert.deepEqual(brief(states), [
      [4, 'smtp.starttls.missing', '192.0.2.10:25'],
      [4, 'smtp.all_no_starttls', 'example.com'],
    ]);
    assert.match(states[0]!.message, /it only speaks HELO, which has no extensions/);
    assert.deepEqual(states[0]!.meta?.['extensions'], []);
  });

  it('counts an unreachable endpoint as untested, not as missing STARTTLS', () => {
    const states = starttlsOffered.evaluate(
      observation({ endpoints: [endpoint({ address: '192.0.2.10' }), unreachableEndpoint('192.0.2.11')] }),
    );
    assert.deepEqual(brief(states), [[1, 'smtp.starttls_offered.ok', 'example.com']]);
    assert.equal(
      states[0]!.message,
      '192.0.2.10:25 advertises STARTTLS (1 other endpoint could not be tested: unreachable).',
    );
  });

  it('is UNKNOWN when no endpoint completed EHLO', () => {
    const obs = observation({ endpoints: [unreachableEndpoint('192.0.2.10')] });
    assert.deepEqual(brief(starttlsOffered.evaluate(obs)), [[0, 'smtp.starttls.untested', 'example.com']]);
  });

  it('collapses to one INFO for a null MX', () => {
    assert.deepEqual(brief(starttlsOffered.evaluate(nullMxObservation())), [
      [2, 'smtp.null_mx.not_probed', 'example.com'],
    ]);
  });
});

describe('offersStartTls()', () => {
  it('believes the EHLO keywords even when the probe did not record the offer', () => {
    const e = noStartTls('192.0.2.10');
    assert.equal(offersStartTls(e), false);
    assert.equal(offersStartTls({ ...e, extensions: { ...e.extensions!, keywords: ['STARTTLS'] } }), true);
    assert.equal(offersStartTls(endpoint()), true);
  });
});
