import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HEALTHY_EXTENSIONS,
  allUnreachableObservation,
  endpoint,
  extensions,
  observation,
} from '../../test/fixtures/observations.js';
import type { CheckState } from '../model/status.js';
import { authPosture } from './auth-posture.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

describe('smtp.auth_posture', () => {
  it('is OK when no endpoint advertises AUTH before TLS (after TLS is fine)', () => {
    const e = endpoint({ extensions_tls: extensions(...HEALTHY_EXTENSIONS, 'AUTH PLAIN LOGIN') });
    assert.deepEqual(brief(authPosture.evaluate(observation({ endpoints: [e] }))), [
      [1, 'smtp.auth_posture.ok', 'example.com'],
    ]);
  });

  it('flags AUTH before STARTTLS, naming the mechanisms and the fix', () => {
    const e = endpoint({ extensions: extensions(...HEALTHY_EXTENSIONS, 'STARTTLS', 'AUTH PLAIN LOGIN') });
    const states = authPosture.evaluate(observation({ endpoints: [e] }));
    assert.deepEqual(brief(states), [[4, 'smtp.auth.plaintext', '192.0.2.10:25']]);
    assert.match(states[0]!.message, /PLAIN, LOGIN/);
    assert.match(String(states[0]!.meta?.['fix']), /smtpd_tls_auth_only = yes/);
    assert.match(String(states[0]!.meta?.['fix']), /587/);
  });

  it('says credentials can only cross in clear when STARTTLS is absent', () => {
    const e = endpoint({ extensions: extensions(...HEALTHY_EXTENSIONS, 'AUTH PLAIN') });
    e.starttls = { ...e.starttls, offered: false, attempted: false, ok: false, tls: null, reply: null };
    const [s] = authPosture.evaluate(observation({ endpoints: [e] }));
    assert.match(s!.message, /can only cross in clear/);
  });

  it('is UNKNOWN when no endpoint could be tested', () => {
    assert.deepEqual(brief(authPosture.evaluate(allUnreachableObservation())), [
      [0, 'smtp.auth.untested', 'example.com'],
    ]);
  });
});
