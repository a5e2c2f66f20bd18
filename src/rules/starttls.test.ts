import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HEALTHY_EXTENSIONS,
  endpoint,
  extensions,
  observation,
  reply,
  unreachableEndpoint,
} from '../../test/fixtures/observations.js';
import type { EndpointProbe } from '../model/observation.js';
import type { CheckState } from '../model/status.js';
import { starttlsHandshake } from './starttls-handshake.js';
import { starttlsOffered } from './starttls-offered.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

function noStartTls(address: string): EndpointProbe {
  return endpoint({
    address,
    extensions: extensions(...HEALTHY_EXTENSIONS),
    starttls: { offered: false, attempted: false, reply: null, ok: false, discarded_bytes: 0, tls: null, error: null },
    ehlo_tls: null,
    extensions_tls: null,
  });
}

function failedTls(address: string, over: Partial<EndpointProbe['starttls']>): EndpointProbe {
  const base = endpoint({ address });
  return endpoint({
    address,
    starttls: { ...base.starttls, ok: false, tls: null, ...over },
    ehlo_tls: null,
    extensions_tls: null,
  });
}

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

  it('is UNKNOWN when no endpoint completed EHLO', () => {
    const obs = observation({ endpoints: [unreachableEndpoint('192.0.2.10')] });
    assert.deepEqual(brief(starttlsOffered.evaluate(obs)), [[0, 'smtp.starttls.untested', 'example.com']]);
  });
});

describe('smtp.starttls_handshake', () => {
  it('is OK when every handshake succeeds', () => {
    assert.deepEqual(brief(starttlsHandshake.evaluate(observation())), [
      [1, 'smtp.starttls_handshake.ok', 'example.com'],
    ]);
  });

  it('reports a refused STARTTLS, a failed handshake, injected plaintext and a broken EHLO after TLS', () => {
    const injected = endpoint({ address: '192.0.2.3' });
    injected.starttls = { ...injected.starttls, discarded_bytes: 17 };
    const endpoints = [
      failedTls('192.0.2.1', { reply: reply(454, '4.7.0 TLS not available due to local problem') }),
      failedTls('192.0.2.2', { error: { code: 'tls.handshake', phase: 'tls', message: 'wrong version number' } }),
      injected,
      endpoint({ address: '192.0.2.4', ehlo_tls: reply(554, '5.5.0 Error'), extensions_tls: null }),
    ];
    const states = starttlsHandshake.evaluate(observation({ endpoints }));
    assert.deepEqual(brief(states), [
      [4, 'smtp.starttls.failed', '192.0.2.1:25'],
      [4, 'smtp.starttls.failed', '192.0.2.2:25'],
      [3, 'smtp.starttls.plaintext_injected', '192.0.2.3:25'],
      [4, 'smtp.starttls.ehlo_failed', '192.0.2.4:25'],
    ]);
    assert.match(states[0]!.message, /"454 4\.7\.0 TLS not available due to local problem"/);
    assert.match(states[1]!.message, /wrong version number/);
  });

  it('does not call TLS 1.0 a handshake failure', () => {
    const old = endpoint();
    old.starttls = { ...old.starttls, tls: { ...old.starttls.tls!, version: 'TLSv1' } };
    assert.deepEqual(brief(starttlsHandshake.evaluate(observation({ endpoints: [old] }))), [
      [1, 'smtp.starttls_handshake.ok', 'example.com'],
    ]);
  });

  it('is UNKNOWN when no endpoint offers STARTTLS', () => {
    const states = starttlsHandshake.evaluate(observation({ endpoints: [noStartTls('192.0.2.10')] }));
    assert.deepEqual(brief(states), [[0, 'smtp.starttls.handshake_untested', 'example.com']]);
    assert.match(states[0]!.message, /STARTTLS not offered/);
  });
});
