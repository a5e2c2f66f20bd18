import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allUnreachableObservation,
  egressBlockedObservation,
  endpoint,
  observation,
  reply,
  unreachableEndpoint,
} from '../../test/fixtures/observations.js';
import type { EndpointProbe, ProbeError } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { bannerSanity } from './banner-sanity.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

/** An endpoint that connected and stopped at the greeting. */
function greeted(address: string, greeting: EndpointProbe['greeting'], error: ProbeError | null = null): EndpointProbe {
  return endpoint({ address, greeting, ehlo: null, extensions: null, ehlo_tls: null, extensions_tls: null, error });
}

describe('smtp.banner_sanity', () => {
  it('words a 421 met again on a second attempt as temporary, naming both', () => {
    const e = greeted('192.0.2.1', reply(421, 'Too many concurrent SMTP connections'));
    e.retry = {
      reason: 'greeting_421',
      first_started_at: '2026-11-21T10:00:00.000Z',
      first_greeting: reply(421, 'Too many concurrent SMTP connections'),
      first_error: null,
      delay_ms: 1500,
    };
    const [s] = bannerSanity.evaluate(observation({ endpoints: [e] }));
    assert.deepEqual(brief([s!]), [[3, 'smtp.banner.tempfail', '192.0.2.1:25']]);
    assert.equal(
      s!.message,
      '192.0.2.1:25 greeted with a temporary refusal "421 Too many concurrent SMTP connections", and again when tried alone 1.5 s after the other endpoints (first: "421 Too many concurrent SMTP connections"), so it could not be tested further; senders will try again later.',
    );
  });

  it('leaves endpoints the checker could not probe itself untested, with the reason', () => {
    const states = bannerSanity.evaluate(egressBlockedObservation());
    assert.deepEqual(brief(states), [[0, 'smtp.banner.untested', 'example.com']]);
    assert.match(states[0]!.message, /192\.0\.2\.10:25 not tested: this machine cannot reach port 25/);
  });

  it('is OK when every endpoint greets with 220', () => {
    const states = bannerSanity.evaluate(observation());
    assert.deepEqual(brief(states), [[1, 'smtp.banner_sanity.ok', 'example.com']]);
    assert.match(states[0]!.message, /Both endpoints greet with a 220/);
  });

  it('classifies 4xx, 5xx, silence and garbage', () => {
    const obs = observation({
      endpoints: [
        greeted('192.0.2.1', reply(421, '4.3.2 Service not available')),
        greeted('192.0.2.2', reply(554, '5.7.1 No SMTP service here')),
        greeted('192.0.2.3', null, { code: 'timeout', phase: 'greeting', message: 'the 12 s time budget ran out' }),
        greeted('192.0.2.4', null, {
          code: 'reply.malformed',
          phase: 'greeting',
          message: 'not an SMTP reply: "SSH-2.0-OpenSSH"',
        }),
      ],
    });
    const states = bannerSanity.evaluate(obs);
    assert.deepEqual(brief(states), [
      [3, 'smtp.banner.tempfail', '192.0.2.1:25'],
      [4, 'smtp.banner.invalid', '192.0.2.2:25'],
      [0, 'smtp.banner.timeout', '192.0.2.3:25'],
      [4, 'smtp.banner.invalid', '192.0.2.4:25'],
    ]);
    assert.match(states[1]!.message, /"554 5\.7\.1 No SMTP service here"/);
    assert.match(states[3]!.message, /SSH-2\.0/);
  });

  it('tells silence from a greeting that dripped in too slowly, and blames neither: senders wait 5 minutes', () => {
    const budget: ProbeError = { code: 'timeout', phase: 'greeting', message: 'the 2 s time budget ran out' };
    const silent = { ...greeted('192.0.2.1', null, budget), bytes_received: 0 };
    const drip = { ...greeted('192.0.2.2', null, budget), bytes_received: 3 };
    const states = bannerSanity.evaluate(observation({ endpoints: [silent, drip] }));
    assert.deepEqual(
      states.map((s) => s.status),
      [Status.UNKNOWN, Status.UNKNOWN],
    );
    assert.match(
      states[0]!.message,
      /^192\.0\.2\.1:25 accepted the connection but sent no greeting within the checker's 12 s budget\./,
    );
    assert.match(states[1]!.message, /sent only 3 bytes of a greeting/);
    assert.match(states[0]!.message, /Senders wait up to 5 minutes for a greeting \(RFC 5321 §4\.5\.3\.2\)/);
    assert.match(String(states[0]!.meta?.['fix']), /--timeout 300/);
  });

  it('warns of a 220 greeting that names no host, and names a firewall when the banner is masked', () => {
    const named = (address: string, text: string) => endpoint({ address, greeting: reply(220, text) });
    const obs = observation({
      endpoints: [
        named('192.0.2.1', '*************************0****0*2***0*0****2'),
        named('192.0.2.2', 'ESMTP Postfix'),
        named('192.0.2.3', '[192.0.2.3] ESMTP ready'),
        named('192.0.2.4', 'mx1.example.com ESMTP'),
      ],
    });
    const states = bannerSanity.evaluate(obs);
    assert.deepEqual(brief(states), [
      [3, 'smtp.banner.no_hostname', '192.0.2.1:25'],
      [3, 'smtp.banner.no_hostname', '192.0.2.2:25'],
    ]);
    const [masked, bare] = states;
    assert.match(
      masked!.message,
      /^192\.0\.2\.1:25 greeted with "220 \*+0.*": a banner of asterisks is the mark of a firewall's SMTP inspection \(Cisco PIX\/ASA/,
    );
    assert.match(masked!.message, /breaks STARTTLS/);
    assert.match(String(masked!.meta?.['fix']), /no inspect esmtp/);
    assert.match(String(masked!.meta?.['fix']), /"220 mx1\.example\.com ESMTP"/);
    assert.equal(
      bare!.message,
      '192.0.2.2:25 greeted with "220 ESMTP Postfix", which does not begin with the server\'s domain: RFC 5321 §4.2 wants the greeting to name the host first, e.g. "220 mx1.example.com ESMTP".',
    );
    assert.match(String(bare!.meta?.['fix']), /smtpd_banner = \$myhostname ESMTP/);
    assert.deepEqual(bare!.meta?.['reply'], ['220 ESMTP Postfix']);
  });

  it('leaves unreachable endpoints to smtp.endpoint_reachable and says so when OK', () => {
    const obs = observation({ endpoints: [endpoint({ address: '192.0.2.10' }), unreachableEndpoint('192.0.2.11')] });
    const states = bannerSanity.evaluate(obs);
    assert.deepEqual(brief(states), [[1, 'smtp.banner_sanity.ok', 'example.com']]);
    assert.match(states[0]!.message, /192\.0\.2\.10:25 greets .*1 other endpoint could not be tested: unreachable/);
  });

  it('is UNKNOWN when no endpoint connected', () => {
    const states = bannerSanity.evaluate(allUnreachableObservation());
    assert.deepEqual(brief(states), [[0, 'smtp.banner.untested', 'example.com']]);
    assert.match(states[0]!.message, /192\.0\.2\.10:25 unreachable/);
  });
});
