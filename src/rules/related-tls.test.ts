import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { relatedTls } from '../../test/fixtures/observations.js';
import { Status } from '../model/status.js';
import { parseRelatedTls, type UnusableTlsProbe, type UsableTlsProbe } from './related-tls.js';

const CHECKED = '2026-11-21T10:00:00.000Z';
const MX1 = { mx: ['mx1.example.com'], port: 25 };
const parse = (...entries: unknown[]) => parseRelatedTls({ tls_probes: entries }, CHECKED);
const only = (...entries: unknown[]) => {
  const cov = parse(...entries).forEndpoint(MX1);
  return {
    usable: cov.usable[0] as UsableTlsProbe | undefined,
    unusable: cov.unusable[0] as UnusableTlsProbe | undefined,
  };
};

describe('parseRelatedTls()', () => {
  it('is empty, not failing, when the host sent no related data', () => {
    const cases: (Record<string, unknown[]> | undefined)[] = [undefined, {}, { tls_probes: [] }, { other: [1] }];
    for (const related of cases) {
      const index = parseRelatedTls(related, CHECKED);
      assert.equal(index.present, false);
      assert.deepEqual(index.forEndpoint(MX1), { refs: ['mx1.example.com:25'], usable: [], unusable: [] });
    }
  });

  it('derives findings from facts (chain, host name, expiry, version) as of our own check', () => {
    const { usable } = only(
      relatedTls('mx1.example.com:25', {
        tls_version: 'TLSv1.1',
        chain_valid: false,
        chain_error: 'unable to get local issuer certificate',
        hostname_match: false,
        not_after: '2026-11-25T00:00:00Z',
        subject: { CN: 'other.example.net' },
      }),
    );
    assert.ok(usable);
    assert.deepEqual(
      usable.findings.map((f) => [f.status, f.code]),
      [
        [Status.WARN, 'smtp.tls.expiring'],
        [Status.WARN, 'smtp.tls.untrusted'],
        [Status.WARN, 'smtp.tls.hostname_mismatch'],
        [Status.WARN, 'smtp.tls.old_version'],
      ],
    );
    assert.match(usable.findings[1]!.message, /unable to get local issuer/);
    assert.equal(usable.facts.subject, 'CN=other.example.net');
    assert.equal(usable.checker_id, 'tls');
  });

  it('reports an expired certificate as CRIT and a healthy one with no finding', () => {
    assert.deepEqual(
      only(relatedTls('mx1.example.com:25', { notAfter: '2026-01-01T00:00:00Z' })).usable!.findings.map((f) => [
        f.status,
        f.code,
      ]),
      [[Status.CRIT, 'smtp.tls.expired']],
    );
    const healthy = only(
      relatedTls('mx1.example.com:25', {
        chainValid: true,
        hostnameMatch: true,
        tlsVersion: 'TLSv1.3',
        notAfter: '2027-03-01T00:00:00Z',
      }),
    ).usable!;
    assert.deepEqual(healthy.findings, []);
    assert.equal(healthy.facts.tls_version, 'TLSv1.3');
  });

  it('maps an explicit issue list (word or integer severities) and keeps their codes', () => {
    const { usable } = only(
      relatedTls('MX1.example.com:25', {
        chain_valid: false, // ignored: the issue list is authoritative when present
        issues: [
          { severity: 'critical', code: 'tls.expiry', message: 'Certificate expired 3 days ago', fix: 'Renew it' },
          { level: 3, id: 'Hostname Match', msg: 'SAN does not cover mx1' },
          { status: 1, code: 'tls.version', message: 'TLS 1.3' },
          { severity: 'bogus', message: 'something odd' },
          { nothing: true },
        ],
      }),
    );
    assert.ok(usable);
    assert.deepEqual(
      usable.findings.map((f) => [f.status, f.code, f.related_code]),
      [
        [Status.CRIT, 'smtp.tls.related.tls.expiry', 'tls.expiry'],
        [Status.WARN, 'smtp.tls.related.hostname_match', 'Hostname Match'],
        [Status.UNKNOWN, 'smtp.tls.related.finding', null],
      ],
    );
    assert.equal(usable.findings[0]!.fix, 'Renew it');
    assert.equal(usable.skipped_issues, 1);
  });

  it('says why an entry is unusable: stale, malformed, or a failed probe', () => {
    const cases: [unknown, UnusableTlsProbe['problem'], RegExp][] = [
      [
        relatedTls('mx1.example.com:25', { chain_valid: true }, '2026-11-01T00:00:00Z'),
        'stale',
        /collected 20 days before/,
      ],
      [relatedTls('mx1.example.com:25', { chain_valid: true }, 'yesterday-ish'), 'malformed', /collectedAt/],
      [relatedTls('mx1.example.com:25', 'not an object'), 'malformed', /"data" is not a JSON object/],
      [relatedTls('mx1.example.com:25', { issues: 'many' }), 'malformed', /"issues" is not a list/],
      [relatedTls('mx1.example.com:25', { issues: [{}, 42] }), 'malformed', /none of its issues/],
      [relatedTls('mx1.example.com:25', { hello: 'world' }), 'malformed', /neither an issue list nor/],
      [
        relatedTls('mx1.example.com:25', { error: 'connection refused' }),
        'probe_error',
        /could not probe it: connection refused/,
      ],
    ];
    for (const [entry, problem, reason] of cases) {
      const { usable, unusable } = only(entry);
      assert.equal(usable, undefined);
      assert.equal(unusable?.problem, problem, JSON.stringify(entry));
      assert.match(unusable!.reason, reason);
    }
  });

  it('keeps entries without a ref apart, and never matches them to an endpoint', () => {
    const index = parse(42, { data: {} }, null);
    assert.equal(index.unattributed.length, 3);
    assert.deepEqual(index.forEndpoint(MX1).unusable, []);
  });

  it('matches by every MX name of the endpoint and keeps the freshest usable entry per ref', () => {
    const index = parse(
      relatedTls('mx1.example.com:25', { not_after: '2026-01-01T00:00:00Z' }, '2026-11-20T00:00:00Z'),
      relatedTls('mx1.example.com:25', { not_after: '2027-01-01T00:00:00Z' }, '2026-11-21T08:00:00Z'),
      relatedTls('mx1.example.com:25', 'garbage'),
      relatedTls('mail.example.org:25', { hostname_match: false }),
      relatedTls('mx1.example.com:587', { hostname_match: false }),
    );
    const cov = index.forEndpoint({ mx: ['mx1.example.com', 'mail.example.org'], port: 25 });
    assert.deepEqual(
      cov.usable.map((p) => [p.ref, p.collected_at, p.findings.length]),
      [
        ['mx1.example.com:25', '2026-11-21T08:00:00.000Z', 0],
        ['mail.example.org:25', '2026-11-21T09:00:00.000Z', 1],
      ],
    );
    assert.deepEqual(cov.unusable, [], 'an unusable entry is moot when a usable one covers the same ref');
  });

  it('finds the probe for its ref inside a document covering several endpoints', () => {
    const data = {
      probes: { 'mx1.example.com:25': { hostname_match: false }, 'mx2.example.com:25': { hostname_match: true } },
    };
    assert.equal(only(relatedTls('mx1.example.com:25', data)).usable!.findings[0]!.code, 'smtp.tls.hostname_mismatch');
    const list = {
      endpoints: [
        { ref: 'mx2.example.com:25', chain_valid: true },
        { ref: 'mx1.example.com:25', chain_valid: false },
      ],
    };
    assert.equal(only(relatedTls('mx1.example.com:25', list)).usable!.findings[0]!.code, 'smtp.tls.untrusted');
  });

  it('clips and de-controls third-party text', () => {
    const { usable } = only(
      relatedTls('mx1.example.com:25', { issues: [{ severity: 'warn', message: `a\x1b[2Jb\r\n${'x'.repeat(2000)}` }] }),
    );
    const m = usable!.findings[0]!.message;
    assert.ok(!/[\x00-\x1f]/.test(m));
    assert.ok(m.length <= 500);
  });

  it('never throws, whatever the host sends', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.string(), (entry, data, ref) => {
        const index = parseRelatedTls(
          { tls_probes: [entry, relatedTls(ref, data), { ref: 'mx1.example.com:25', collectedAt: CHECKED, data }] },
          CHECKED,
        );
        index.forEndpoint(MX1);
        index.forEndpoint({ mx: [ref], port: 25 });
      }),
    );
    assert.doesNotThrow(() => parseRelatedTls({ tls_probes: 'nope' as unknown as unknown[] }, CHECKED));
  });
});
