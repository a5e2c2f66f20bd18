import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpoint, observation, reply, unreachableEndpoint } from '../../test/fixtures/observations.js';
import { noStartTls } from '../../test/fixtures/rule-fixtures.js';
import type { EndpointProbe } from '../model/observation.js';
import type { CheckState } from '../model/status.js';
import { starttlsHandshake } from './starttls-handshake.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

function failedTls(address: string, over: Partial<EndpointProbe['starttls']>): EndpointProbe {
  const base = endpoint({ address });
  return endpoint({
    address,
    starttls: { ...base.starttls, ok: false, tls: null, ...over },
    ehlo_tls: null,
    extensions_tls: null,
  });
}

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

  it('counts the injected bytes and still judges the EHLO said over TLS', () => {
    const e = endpoint({ address: '192.0.2.3', ehlo_tls: null, extensions_tls: null });
    e.starttls = { ...e.starttls, discarded_bytes: 17 };
    e.error = { code: 'closed', phase: 'ehlo_tls', message: 'the server closed the connection' };
    const states = starttlsHandshake.evaluate(observation({ endpoints: [e] }));
    // One subject: sorted by code.
    assert.deepEqual(brief(states), [
      [4, 'smtp.starttls.ehlo_failed', '192.0.2.3:25'],
      [3, 'smtp.starttls.plaintext_injected', '192.0.2.3:25'],
    ]);
    assert.match(states[0]!.message, /did not answer EHLO over TLS: the server closed the connection/);
    assert.match(states[1]!.message, /sent 17 bytes of plaintext after its 220/);
    assert.equal(states[1]!.meta?.['discarded_bytes'], 17);
  });

  it('tells a STARTTLS left unanswered from a handshake that never completed', () => {
    const silent = failedTls('192.0.2.1', { reply: null });
    silent.error = { code: 'timeout', phase: 'starttls', message: 'the 2 s time budget ran out' };
    const stalled = failedTls('192.0.2.2', {});
    stalled.error = { code: 'timeout', phase: 'tls', message: 'TLS handshake did not finish within the time budget' };
    const states = starttlsHandshake.evaluate(observation({ endpoints: [silent, stalled] }));
    assert.deepEqual(brief(states), [
      [4, 'smtp.starttls.failed', '192.0.2.1:25'],
      [4, 'smtp.starttls.failed', '192.0.2.2:25'],
    ]);
    assert.match(states[0]!.message, /did not answer STARTTLS: the 2 s time budget ran out/);
    assert.match(states[1]!.message, /accepted STARTTLS but the TLS handshake did not complete: TLS handshake did not/);
    assert.deepEqual(states[1]!.meta?.['error'], stalled.error);
  });

  it('does not call TLS 1.0 a handshake failure', () => {
    const old = endpoint();
    old.starttls = { ...old.starttls, tls: { ...old.starttls.tls!, version: 'TLSv1' } };
    assert.deepEqual(brief(starttlsHandshake.evaluate(observation({ endpoints: [old] }))), [
      [1, 'smtp.starttls_handshake.ok', 'example.com'],
    ]);
  });

  it('judges only the endpoints that offered STARTTLS, saying why the others were left out', () => {
    const states = starttlsHandshake.evaluate(
      observation({
        endpoints: [endpoint({ address: '192.0.2.10' }), noStartTls('192.0.2.11'), unreachableEndpoint('192.0.2.12')],
      }),
    );
    assert.deepEqual(brief(states), [[1, 'smtp.starttls_handshake.ok', 'example.com']]);
    assert.match(states[0]!.message, /2 other endpoints could not be tested: STARTTLS not offered; unreachable/);
  });

  it('is UNKNOWN when no endpoint offers STARTTLS', () => {
    const states = starttlsHandshake.evaluate(observation({ endpoints: [noStartTls('192.0.2.10')] }));
    assert.deepEqual(brief(states), [[0, 'smtp.starttls.handshake_untested', 'example.com']]);
    assert.match(states[0]!.message, /STARTTLS not offered/);
  });
});
