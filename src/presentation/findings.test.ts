import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Status, type CheckState, type StatusValue } from '../model/status.js';
import { buildFindings, type EndpointInfo } from './findings.js';

const state = (status: StatusValue, code: string, subject: string, rule = 'smtp.r', fix?: string): CheckState => ({
  status,
  rule,
  code,
  subject,
  message: `${code} on ${subject}`,
  ...(fix ? { meta: { fix } } : {}),
});

const NO_ANCHORS = new Map<string, EndpointInfo>();

describe('buildFindings()', () => {
  it('lists the non-OK states in the one order whatever order they came in, remarks (INFO) apart', () => {
    // [status, code, subject], deliberately out of order.
    const states = (
      [
        [Status.INFO, 'a.info', '192.0.2.9:25'],
        [Status.OK, 'a.ok', 'example.com'],
        [Status.WARN, 'b.warn', '192.0.2.10:25'],
        [Status.CRIT, 'c.crit', '192.0.2.10:25'],
        [Status.WARN, 'a.warn', '192.0.2.10:25'],
        [Status.UNKNOWN, 'x.tempfail', '192.0.2.9:25'],
        [Status.CRIT, 'c.crit', '192.0.2.9:25'],
      ] as const
    ).map(([status, code, subject]) => state(status, code, subject));
    for (const input of [states, [...states].reverse()]) {
      const f = buildFindings(input, 'example.com', NO_ANCHORS);
      assert.deepEqual(
        f.fixes.map((x) => `${x.label} ${x.subject} ${x.code}`),
        [
          'CRIT 192.0.2.9:25 c.crit',
          'CRIT 192.0.2.10:25 c.crit',
          'WARN 192.0.2.10:25 a.warn',
          'WARN 192.0.2.10:25 b.warn',
          'UNKNOWN 192.0.2.9:25 x.tempfail',
        ],
      );
      assert.deepEqual(
        f.remarks.map((x) => `${x.label} ${x.subject} ${x.code}`),
        ['INFO 192.0.2.9:25 a.info'],
      );
    }
  });

  it('lists "could not be tested" consequences apart, and says what an empty list means', () => {
    const crit = state(Status.CRIT, 'smtp.banner.invalid', '192.0.2.10:25');
    const untested = [
      state(Status.UNKNOWN, 'smtp.starttls.handshake_untested', 'example.com', 'smtp.starttls_handshake'),
      state(Status.UNKNOWN, 'smtp.ehlo.untested', 'example.com', 'smtp.ehlo_supported'),
    ];
    const f = buildFindings([...untested, crit], 'example.com', NO_ANCHORS);
    assert.deepEqual(
      f.fixes.map((x) => x.code),
      ['smtp.banner.invalid'],
    );
    assert.deepEqual(
      f.untested.map((x) => x.by),
      ['smtp.ehlo_supported', 'smtp.starttls_handshake'],
    );
    assert.equal(f.nothingToFix, null);
    assert.equal(
      buildFindings(untested, 'example.com', NO_ANCHORS).nothingToFix,
      'Nothing to fix among what could be tested.',
    );
    assert.equal(
      buildFindings([state(Status.OK, 'a.ok', 'example.com')], 'example.com', NO_ANCHORS).nothingToFix,
      'Nothing to fix.',
    );
    assert.equal(buildFindings([], 'example.com', NO_ANCHORS).nothingToFix, 'No rule states given.');
  });

  it('says a finding several rules said once, naming every rule', () => {
    const f = buildFindings(
      [
        state(Status.INFO, 'smtp.null_mx.not_probed', 'example.com', 'smtp.b'),
        state(Status.INFO, 'smtp.null_mx.not_probed', 'example.com', 'smtp.a'),
      ],
      'example.com',
      NO_ANCHORS,
    ).remarks;
    assert.equal(f.length, 1);
    assert.deepEqual([f[0]!.rules, f[0]!.rule, f[0]!.saidBy], [['smtp.a', 'smtp.b'], 'smtp.a', 'said by 2 rules']);
  });

  it('marks a fix that repeats the one before it, for the same code only', () => {
    const f = buildFindings(
      [
        state(Status.WARN, 'smtp.ptr.missing', '192.0.2.9:25', 'smtp.r', 'Ask for a PTR.'),
        state(Status.WARN, 'smtp.ptr.missing', '192.0.2.10:25', 'smtp.r', 'Ask for a PTR.'),
        state(Status.WARN, 'smtp.ptr.other', '192.0.2.10:25', 'smtp.r', 'Ask for a PTR.'),
      ],
      'example.com',
      NO_ANCHORS,
    ).fixes;
    assert.deepEqual(
      f.map((x) => x.fixAsAbove),
      [false, true, false],
    );
  });

  it('links a finding to its endpoint section and shows server text inert', () => {
    const s = { ...state(Status.WARN, 'smtp.banner.odd', '192.0.2.10:25'), message: 'Banner \x1b[2J\u202eevil' };
    const info = { anchor: 'r-ep-0', address: '192.0.2.10', mx: 'mx1.example.com' };
    const [f] = buildFindings([s], 'example.com', new Map([['192.0.2.10:25', info]])).fixes;
    assert.equal(f!.anchor, 'r-ep-0');
    assert.equal(f!.message, 'Banner \\x1b[2J\\u202eevil');
  });

  it('says a healthy domain with remarks has nothing to fix', () => {
    const f = buildFindings([state(Status.INFO, 'smtp.ipv6.none', 'example.com')], 'example.com', NO_ANCHORS);
    assert.deepEqual([f.fixes, f.nothingToFix, f.remarks.length], [[], 'Nothing to fix.', 1]);
  });
});

describe('buildFindings(): identical findings on several endpoints', () => {
  const endpoints = new Map<string, EndpointInfo>([
    ['192.0.2.10:25', { anchor: 'r-ep-0', address: '192.0.2.10', mx: 'mx1.example.com' }],
    ['192.0.2.9:25', { anchor: 'r-ep-1', address: '192.0.2.9', mx: 'mx1.example.com' }],
    ['[2001:db8::1]:25', { anchor: 'r-ep-2', address: '2001:db8::1', mx: 'mx2.example.com' }],
    ['192.0.2.1:25', { anchor: 'r-ep-3', address: '192.0.2.1', mx: 'mx3.example.com' }],
  ]);
  const relay = (subject: string, address: string): CheckState => ({
    status: Status.CRIT,
    rule: 'smtp.open_relay',
    code: 'smtp.open_relay',
    subject,
    message: `${subject} is an open relay: it accepted RCPT TO:<postmaster@example.net>. Close ${address}.`,
    meta: { fix: `Stop relaying on ${address}.` },
  });

  it('are one item naming its endpoints, worded for each, with one fix', () => {
    const f = buildFindings(
      [relay('192.0.2.10:25', '192.0.2.10'), relay('192.0.2.9:25', '192.0.2.9')],
      'example.com',
      endpoints,
    );
    assert.equal(f.fixes.length, 1);
    const [g] = f.fixes;
    assert.equal(g!.subject, '2 endpoints of mx1.example.com');
    assert.deepEqual(g!.subjects, [
      { text: '192.0.2.9:25', anchor: 'r-ep-1' },
      { text: '192.0.2.10:25', anchor: 'r-ep-0' },
    ]);
    assert.equal(
      g!.message,
      'Each endpoint is an open relay: it accepted RCPT TO:<postmaster@example.net>. Close each address.',
    );
    assert.deepEqual(g!.fix, ['Stop relaying on each address.']);
    assert.equal(g!.anchor, 'r-ep-1', 'the first endpoint in natural order');
    assert.equal(f.bySubject.length, 2, 'endpoint sections still see their own finding');
  });

  it('name only the count when the endpoints serve different MX names, and group IPv6 subjects too', () => {
    const f = buildFindings(
      [
        relay('192.0.2.9:25', '192.0.2.9'),
        relay('[2001:db8::1]:25', '2001:db8::1'),
        relay('192.0.2.1:25', '192.0.2.1'),
      ],
      'example.com',
      endpoints,
    );
    assert.deepEqual(
      f.fixes.map((x) => [x.subject, x.subjects.map((s) => s.text)]),
      [['3 endpoints', ['192.0.2.1:25', '192.0.2.9:25', '[2001:db8::1]:25']]],
    );
  });

  it('keep apart findings whose message differs beyond the endpoint, and subjects that are not endpoints', () => {
    const other = { ...relay('192.0.2.9:25', '192.0.2.9'), message: '192.0.2.9:25 relays, answering 251.' };
    const domainWide = (subject: string): CheckState => ({
      status: Status.CRIT,
      rule: 'smtp.mx_sanity',
      code: 'smtp.mx.unresolved',
      subject,
      message: `The MX target ${subject} does not resolve.`,
    });
    const f = buildFindings(
      [relay('192.0.2.10:25', '192.0.2.10'), other, domainWide('a.example.com'), domainWide('b.example.com')],
      'example.com',
      endpoints,
    );
    assert.deepEqual(
      f.fixes.map((x) => x.subject),
      ['192.0.2.9:25', '192.0.2.10:25', 'a.example.com', 'b.example.com'],
    );
  });
});
