import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpoint, observation, relatedTls, tlsInfo, unreachableEndpoint } from '../../test/fixtures/observations.js';
import type { CertificateInfo, EndpointProbe, TlsInfo } from '../model/observation.js';
import type { CheckState } from '../model/status.js';
import { tlsQuality } from './tls-quality.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

function withTls(
  address: string,
  tls: Partial<TlsInfo>,
  leaf: Partial<CertificateInfo> = {},
  over: Partial<EndpointProbe> = {},
): EndpointProbe {
  const e = endpoint({ address, ...over });
  const base = tlsInfo({ sni: e.mx[0] ?? null, ...tls });
  const chain = base.chain.map((c, i) => (i === 0 ? { ...c, ...leaf } : c));
  return { ...e, starttls: { ...e.starttls, tls: { ...base, chain } } };
}

describe('smtp.tls_quality', () => {
  it('is OK for TLS 1.3 with a trusted, current, matching certificate', () => {
    const states = tlsQuality.evaluate(observation());
    assert.deepEqual(brief(states), [[1, 'smtp.tls_quality.ok', 'example.com']]);
    assert.match(states[0]!.message, /TLSv1\.3/);
  });

  it('reports version, DH, expiry, trust and name problems per endpoint', () => {
    const endpoints = [
      withTls('192.0.2.1', { version: 'TLSv1.1' }),
      withTls('192.0.2.2', { ephemeral: { type: 'DH', name: null, bits: 1024 } }),
      withTls('192.0.2.3', {}, { valid_to: '2026-11-01T00:00:00.000Z' }),
      withTls('192.0.2.4', {}, { valid_to: '2026-11-30T00:00:00.000Z' }),
      withTls('192.0.2.5', {}, { valid_from: '2026-12-01T00:00:00.000Z' }),
      withTls('192.0.2.6', { chain_trusted: false, chain_error: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      withTls('192.0.2.7', {}, { subject: { CN: 'mail.provider.net' }, subject_alt_names: ['DNS:mail.provider.net'] }),
    ];
    const states = tlsQuality.evaluate(observation({ endpoints }));
    assert.deepEqual(brief(states), [
      [3, 'smtp.tls.old_version', '192.0.2.1:25'],
      [3, 'smtp.tls.weak_dh', '192.0.2.2:25'],
      [4, 'smtp.tls.expired', '192.0.2.3:25'],
      [3, 'smtp.tls.expiring', '192.0.2.4:25'],
      [4, 'smtp.tls.not_yet_valid', '192.0.2.5:25'],
      [3, 'smtp.tls.untrusted', '192.0.2.6:25'],
      [3, 'smtp.tls.hostname_mismatch', '192.0.2.7:25'],
    ]);
    assert.match(states[3]!.message, /in 8 days/);
    assert.match(states[5]!.message, /DEPTH_ZERO_SELF_SIGNED_CERT/);
    assert.match(states[5]!.message, /opportunistic/);
    assert.match(states[6]!.message, /mx1\.example\.com.*DNS:mail\.provider\.net/);
  });

  describe('keys and signatures a sender at default security refuses', () => {
    /** The healthy chain under a root from the trust store, its leaf and root changed. */
    function chained(
      address: string,
      leaf: Partial<CertificateInfo>,
      root: Partial<CertificateInfo> = {},
      tls: Partial<TlsInfo> = {},
    ) {
      const e = withTls(address, tls, leaf);
      const anchor: CertificateInfo = {
        ...tlsInfo().chain[0]!,
        subject: { CN: 'Example CA' },
        issuer: { CN: 'Example CA' },
        subject_alt_names: [],
        self_signed: true,
        ...root,
      };
      return {
        ...e,
        starttls: { ...e.starttls, tls: { ...e.starttls.tls!, chain: [...e.starttls.tls!.chain, anchor] } },
      };
    }

    it('warns of an RSA-1024 leaf and a SHA-1 signature, saying our own trusted verdict was reached at level 0', () => {
      const endpoints = [
        chained('192.0.2.1', { key_bits: 1024 }),
        chained('192.0.2.2', { signature_algorithm: 'sha1WithRSAEncryption', signature_hash: 'SHA-1' }),
        chained('192.0.2.3', { key_type: 'EC prime192v1', key_bits: 192 }, { key_bits: 1024 }),
        chained('192.0.2.4', { signature_algorithm: 'md5WithRSAEncryption', signature_hash: 'MD5' }),
      ];
      const states = tlsQuality.evaluate(observation({ endpoints }));
      assert.deepEqual(brief(states), [
        [3, 'smtp.tls.weak_key', '192.0.2.1:25'],
        [3, 'smtp.tls.weak_signature', '192.0.2.2:25'],
        [3, 'smtp.tls.weak_key', '192.0.2.3:25'],
        [3, 'smtp.tls.weak_signature', '192.0.2.4:25'],
      ]);
      assert.equal(
        states[0]!.message,
        "The certificate chain of 192.0.2.1:25 has 1 key too small for a sender at default security: the leaf CN=mx1.example.com (RSA 1024 bits). OpenSSL's default security level 2 (Debian's) wants RSA and DSA keys of at least 2048 bits and EC keys of at least 224, so verifying senders (MTA-STS enforcement, Postfix smtp_tls_security_level = verify) refuse this chain, although it verifies at the lowest security level our probe uses; opportunistic senders still deliver.",
      );
      assert.match(
        states[1]!.message,
        /1 certificate signed with a hash .*: the leaf CN=mx1\.example\.com \(signed with sha1WithRSAEncryption\)\. OpenSSL 3 refuses MD5 and SHA-1/,
      );
      assert.match(
        states[2]!.message,
        /2 keys .*the leaf CN=mx1\.example\.com \(EC prime192v1 192 bits\); the root CN=Example CA \(RSA 1024 bits\)/,
      );
      assert.match(String(states[0]!.meta?.['fix']), /at least 2048 bits/);
      assert.match(String(states[1]!.meta?.['fix']), /SHA-256/);
      assert.deepEqual(states[0]!.meta?.['certificates'], [
        { index: 0, role: 'leaf', name: 'CN=mx1.example.com', weakness: 'RSA 1024 bits' },
      ]);
      assert.equal(states[0]!.meta?.['source'], 'own');
    });

    it('leaves out "although it verifies" when our own check already found the chain untrusted', () => {
      const e = chained('192.0.2.1', { key_bits: 1024 }, {}, { chain_trusted: false, chain_error: 'CERT_UNTRUSTED' });
      const states = tlsQuality.evaluate(observation({ endpoints: [e] }));
      assert.deepEqual(brief(states), [
        [3, 'smtp.tls.untrusted', '192.0.2.1:25'],
        [3, 'smtp.tls.weak_key', '192.0.2.1:25'],
      ]);
      assert.doesNotMatch(states[1]!.message, /although/);
    });

    it('does not judge the SHA-1 self-signature of the root a chain ends in, nor a strong chain', () => {
      const e = chained('192.0.2.1', {}, { signature_algorithm: 'sha1WithRSAEncryption', signature_hash: 'SHA-1' });
      assert.deepEqual(brief(tlsQuality.evaluate(observation({ endpoints: [e] }))), [
        [1, 'smtp.tls_quality.ok', 'example.com'],
      ]);
    });

    it("still warns when the TLS checker's findings take over the certificate, with our own source", () => {
      const e = chained('192.0.2.1', {
        key_bits: 1024,
        signature_algorithm: 'sha1WithRSAEncryption',
        signature_hash: 'SHA-1',
      });
      const related = {
        tls_probes: [
          relatedTls('mx1.example.com:25', {
            chain_valid: true,
            hostname_match: true,
            not_after: '2027-06-01T00:00:00Z',
          }),
        ],
      };
      const states = tlsQuality.evaluate(observation({ endpoints: [e] }), { related });
      assert.deepEqual(brief(states), [
        [3, 'smtp.tls.weak_key', '192.0.2.1:25'],
        [3, 'smtp.tls.weak_signature', '192.0.2.1:25'],
      ]);
      assert.deepEqual(
        states.map((s) => s.meta?.['source']),
        ['own', 'own'],
      );
    });
  });

  it('matches when any MX name of the endpoint is covered, wildcards included', () => {
    const shared = withTls(
      '192.0.2.1',
      {},
      { subject_alt_names: ['DNS:*.example.com'] },
      { mx: ['mail.other.org', 'mx2.example.com'] },
    );
    assert.deepEqual(brief(tlsQuality.evaluate(observation({ endpoints: [shared] }))), [
      [1, 'smtp.tls_quality.ok', 'example.com'],
    ]);
  });

  it('treats a subjectAltName Node cannot parse as not covering the name, instead of failing', () => {
    const hostile = withTls('192.0.2.1', {}, { subject_alt_names: ['DNS:"><img src=x onerror=alert(1)>'] });
    assert.deepEqual(brief(tlsQuality.evaluate(observation({ endpoints: [hostile] }))), [
      [3, 'smtp.tls.hostname_mismatch', '192.0.2.1:25'],
    ]);
  });

  it('skips the name check when the endpoint has no MX name', () => {
    const implicit = withTls('192.0.2.1', {}, { subject_alt_names: ['DNS:other.example.net'] }, { mx: [] });
    assert.deepEqual(brief(tlsQuality.evaluate(observation({ endpoints: [implicit] }))), [
      [1, 'smtp.tls_quality.ok', 'example.com'],
    ]);
  });

  it('is UNKNOWN when no endpoint completed TLS', () => {
    const e = endpoint();
    e.starttls = { ...e.starttls, ok: false, tls: null };
    const states = tlsQuality.evaluate(observation({ endpoints: [e, unreachableEndpoint('192.0.2.11')] }));
    assert.deepEqual(brief(states), [[0, 'smtp.tls.untested', 'example.com']]);
  });

  describe("with the TLS checker's related findings", () => {
    const mismatched = () =>
      observation({
        endpoints: [
          withTls(
            '192.0.2.1',
            {},
            { subject: { CN: 'other.example.net' }, subject_alt_names: ['DNS:other.example.net'] },
          ),
        ],
      });

    it('uses them in place of our own certificate evaluation, and says so', () => {
      const related = {
        tls_probes: [
          relatedTls('mx1.example.com:25', {
            chain_valid: true,
            hostname_match: true,
            not_after: '2027-06-01T00:00:00Z',
          }),
        ],
      };
      const own = tlsQuality.evaluate(mismatched());
      assert.deepEqual(brief(own), [[3, 'smtp.tls.hostname_mismatch', '192.0.2.1:25']]);
      assert.equal(own[0]!.meta?.['source'], 'own');
      const states = tlsQuality.evaluate(mismatched(), { related });
      assert.deepEqual(brief(states), [[1, 'smtp.tls_quality.ok', 'example.com']]);
      assert.deepEqual(states[0]!.meta?.['sources'], { '192.0.2.1:25': 'related' });
      assert.match(states[0]!.message, /TLS checker's findings for 1 endpoint/);
    });

    it('turns their findings into states on the endpoint, with their source, and still judges our DH', () => {
      const obs = observation({
        endpoints: [withTls('192.0.2.1', { ephemeral: { type: 'DH', name: null, bits: 1024 } })],
      });
      const related = {
        tls_probes: [
          relatedTls('mx1.example.com:25', { issues: [{ severity: 'crit', code: 'tls.expiry', message: 'expired' }] }),
        ],
      };
      const states = tlsQuality.evaluate(obs, { related });
      assert.deepEqual(brief(states), [
        [4, 'smtp.tls.related.tls.expiry', '192.0.2.1:25'],
        [3, 'smtp.tls.weak_dh', '192.0.2.1:25'],
      ]);
      assert.match(states[0]!.message, /TLS checker \(tls\) reports for mx1\.example\.com:25: expired/);
      assert.deepEqual(
        [states[0]!.meta?.['source'], states[0]!.meta?.['ref'], states[0]!.meta?.['related_code']],
        ['related', 'mx1.example.com:25', 'tls.expiry'],
      );
    });

    it('falls back to our own evaluation when their data is stale or malformed, with an INFO saying why', () => {
      for (const entry of [
        relatedTls('mx1.example.com:25', { chain_valid: true }, '2026-10-01T00:00:00Z'),
        relatedTls('mx1.example.com:25', [1, 2]),
      ]) {
        const states = tlsQuality.evaluate(mismatched(), { related: { tls_probes: [entry] } });
        assert.deepEqual(brief(states), [
          [3, 'smtp.tls.hostname_mismatch', '192.0.2.1:25'],
          [2, 'smtp.tls.related_unusable', '192.0.2.1:25'],
        ]);
        assert.match(states[1]!.message, /were not used \(mx1\.example\.com:25: .*(days before|not a JSON object)/);
      }
    });

    it('ignores findings for refs we did not publish', () => {
      const related = { tls_probes: [relatedTls('mx9.example.com:25', { hostname_match: true })] };
      const states = tlsQuality.evaluate(mismatched(), { related });
      assert.deepEqual(brief(states), [[3, 'smtp.tls.hostname_mismatch', '192.0.2.1:25']]);
    });
  });
});
