import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authExposure, worstExposure, type AuthExposure } from './auth-mechanisms.js';

describe('authExposure()', () => {
  it('calls only mechanisms that send a reusable secret clear text', () => {
    const table: [string, AuthExposure][] = [
      ['PLAIN', 'cleartext'],
      ['LOGIN', 'cleartext'],
      ['XOAUTH2', 'cleartext'],
      ['OAUTHBEARER', 'cleartext'],
      ['CRAM-MD5', 'offline'],
      ['CRAM-SHA256', 'offline'],
      ['DIGEST-MD5', 'offline'],
      ['SCRAM-SHA-1', 'offline'],
      ['SCRAM-SHA-256-PLUS', 'offline'],
      ['NTLM', 'offline'],
      ['GSSAPI', 'protected'],
      ['GS2-KRB5', 'protected'],
      ['SRP', 'protected'],
      ['ANONYMOUS', 'none'],
      ['EXTERNAL', 'none'],
      ['X-PROPRIETARY', 'unknown'],
      ['__proto__', 'unknown'],
      ['', 'unknown'],
    ];
    for (const [mechanism, exposure] of table) assert.equal(authExposure(mechanism), exposure, mechanism);
  });

  it('reads mechanisms in any case', () => {
    assert.equal(authExposure('plain'), 'cleartext');
    assert.equal(authExposure('Cram-Md5'), 'offline');
  });
});

describe('worstExposure()', () => {
  it('picks the worst of the list: clear text, offline attack, unknown, protected, none', () => {
    assert.equal(worstExposure(['CRAM-MD5', 'PLAIN', 'GSSAPI']), 'cleartext');
    assert.equal(worstExposure(['GSSAPI', 'DIGEST-MD5']), 'offline');
    assert.equal(worstExposure(['GSSAPI', 'X-NEW']), 'unknown');
    assert.equal(worstExposure(['GSSAPI', 'ANONYMOUS']), 'protected');
    assert.equal(worstExposure(['ANONYMOUS']), 'none');
  });

  it('knows nothing of an AUTH advertised without mechanisms', () => {
    assert.equal(worstExposure([]), 'unknown');
  });
});
