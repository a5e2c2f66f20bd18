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

  it('names which mechanisms send the secret itself when clear-text ones sit among others', () => {
    const e = endpoint({ extensions: extensions(...HEALTHY_EXTENSIONS, 'STARTTLS', 'AUTH CRAM-MD5 PLAIN LOGIN') });
    const [s] = authPosture.evaluate(observation({ endpoints: [e] }));
    assert.deepEqual(brief([s!]), [[4, 'smtp.auth.plaintext', '192.0.2.10:25']]);
    assert.equal(
      s!.message,
      '192.0.2.10:25 advertises AUTH (CRAM-MD5, PLAIN, LOGIN) before STARTTLS: PLAIN and LOGIN send the password or token itself, so a client that logs in before STARTTLS sends its credentials in clear text.',
    );
  });

  it('warns, without claiming clear-text credentials, of challenge-response mechanisms before STARTTLS', () => {
    const e = endpoint({ extensions: extensions(...HEALTHY_EXTENSIONS, 'STARTTLS', 'AUTH DIGEST-MD5 CRAM-MD5 NTLM') });
    const states = authPosture.evaluate(observation({ endpoints: [e] }));
    assert.deepEqual(brief(states), [[3, 'smtp.auth.before_tls', '192.0.2.10:25']]);
    assert.equal(
      states[0]!.message,
      '192.0.2.10:25 advertises AUTH (DIGEST-MD5, CRAM-MD5, NTLM) before STARTTLS. They send no reusable secret, but before TLS an eavesdropper sees the user name and can record the challenge-response exchange to guess the password offline, and the mail of a session that logs in before STARTTLS crosses in clear text.',
    );
    assert.doesNotMatch(states[0]!.message, /credentials in clear/);
    assert.match(String(states[0]!.meta?.['fix']), /smtpd_tls_auth_only = yes/);
    assert.match(
      String(states[0]!.meta?.['fix']),
      /auth_advertise_hosts = \$\{if eq\{\$tls_in_cipher\}\{\}\{\}\{\*\}\}/,
    );
    assert.match(String(states[0]!.meta?.['fix']), /587/);
    assert.deepEqual(states[0]!.meta?.['mechanisms'], ['DIGEST-MD5', 'CRAM-MD5', 'NTLM']);
  });

  it('words Kerberos, unknown and unnamed mechanisms for what they are, and the missing STARTTLS', () => {
    const at = (address: string, auth: string, starttls = true) =>
      endpoint({ address, extensions: extensions(...HEALTHY_EXTENSIONS, ...(starttls ? ['STARTTLS'] : []), auth) });
    const noTls = at('192.0.2.3', 'AUTH SCRAM-SHA-256', false);
    noTls.starttls = { ...noTls.starttls, offered: false, attempted: false, ok: false, tls: null, reply: null };
    const states = authPosture.evaluate(
      observation({
        endpoints: [
          at('192.0.2.1', 'AUTH GSSAPI'),
          at('192.0.2.2', 'AUTH X-SECRET GSSAPI'),
          noTls,
          at('192.0.2.4', 'AUTH'),
        ],
      }),
    );
    assert.deepEqual(
      brief(states).map(([status, code]) => [status, code]),
      Array(4).fill([3, 'smtp.auth.before_tls']),
    );
    assert.match(
      states[0]!.message,
      /\(GSSAPI\) before STARTTLS\. It sends no reusable secret, nor an exchange an eavesdropper could attack offline, and the mail/,
    );
    assert.match(states[1]!.message, /The checker cannot tell what X-SECRET exposes without TLS/);
    assert.match(
      states[2]!.message,
      /STARTTLS is not offered, so every login and the mail after it cross in clear text\.$/,
    );
    assert.match(
      states[3]!.message,
      /advertises AUTH without naming a mechanism before STARTTLS\. The checker cannot tell what a login there exposes/,
    );
  });

  it('finds nothing to expose in ANONYMOUS or EXTERNAL alone', () => {
    const e = endpoint({ extensions: extensions(...HEALTHY_EXTENSIONS, 'STARTTLS', 'AUTH ANONYMOUS EXTERNAL') });
    const states = authPosture.evaluate(observation({ endpoints: [e] }));
    assert.deepEqual(brief(states), [[1, 'smtp.auth_posture.ok', 'example.com']]);
    assert.equal(states[0]!.message, '192.0.2.10:25 does not offer a login before STARTTLS.');
  });

  it('is UNKNOWN when no endpoint could be tested', () => {
    assert.deepEqual(brief(authPosture.evaluate(allUnreachableObservation())), [
      [0, 'smtp.auth.untested', 'example.com'],
    ]);
  });
});
