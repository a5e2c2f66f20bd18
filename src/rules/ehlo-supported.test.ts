import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpoint, observation, reply } from '../../test/fixtures/observations.js';
import type { EndpointProbe } from '../model/observation.js';
import type { CheckState } from '../model/status.js';
import { ehloSupported } from './ehlo-supported.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

const stopped = { extensions: null, ehlo_tls: null, extensions_tls: null };

describe('smtp.ehlo_supported', () => {
  it('is OK when every endpoint accepts EHLO', () => {
    assert.deepEqual(brief(ehloSupported.evaluate(observation())), [[1, 'smtp.ehlo_supported.ok', 'example.com']]);
  });

  it('flags the HELO fallback, refusals, temporary refusals and silence', () => {
    const endpoints: EndpointProbe[] = [
      endpoint({
        address: '192.0.2.1',
        ...stopped,
        ehlo: reply(502, '5.5.2 Command not recognized'),
        helo_fallback: true,
        helo: reply(250, 'mx1.example.com'),
      }),
      endpoint({
        address: '192.0.2.2',
        ...stopped,
        ehlo: reply(502, '5.5.2 Command not recognized'),
        helo: reply(550, '5.7.1 Go away'),
      }),
      endpoint({ address: '192.0.2.3', ...stopped, ehlo: reply(421, '4.7.0 Try again later') }),
      endpoint({
        address: '192.0.2.4',
        ...stopped,
        ehlo: null,
        error: { code: 'closed', phase: 'ehlo', message: 'the server closed the connection' },
      }),
      endpoint({
        address: '192.0.2.5',
        ...stopped,
        ehlo: reply(500, '5.5.1 No'),
        helo: null,
        error: { code: 'timeout', phase: 'helo', message: 'budget ran out' },
      }),
    ];
    const states = ehloSupported.evaluate(observation({ endpoints }));
    assert.deepEqual(brief(states), [
      [3, 'smtp.ehlo.helo_fallback', '192.0.2.1:25'],
      [4, 'smtp.ehlo.rejected', '192.0.2.2:25'],
      [3, 'smtp.ehlo.tempfail', '192.0.2.3:25'],
      [4, 'smtp.ehlo.no_answer', '192.0.2.4:25'],
      [4, 'smtp.ehlo.rejected', '192.0.2.5:25'],
    ]);
    assert.match(states[1]!.message, /"502 5\.5\.2 Command not recognized".*"550 5\.7\.1 Go away"/);
    assert.match(states[4]!.message, /did not answer HELO/);
  });

  it('is UNKNOWN when no endpoint greeted with 220', () => {
    const obs = observation({ endpoints: [endpoint({ greeting: reply(554, 'No'), ehlo: null, ...stopped })] });
    const states = ehloSupported.evaluate(obs);
    assert.deepEqual(brief(states), [[0, 'smtp.ehlo.untested', 'example.com']]);
    assert.match(states[0]!.message, /no 220 greeting/);
  });
});
