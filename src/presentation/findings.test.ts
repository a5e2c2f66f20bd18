import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Status, type CheckState, type StatusValue } from '../model/status.js';
import { buildFindings } from './findings.js';

const state = (status: StatusValue, code: string, subject: string, rule = 'smtp.r', fix?: string): CheckState => ({
  status,
  rule,
  code,
  subject,
  message: `${code} on ${subject}`,
  ...(fix ? { meta: { fix } } : {}),
});

const NO_ANCHORS = new Map<string, string>();

describe('buildFindings()', () => {
  it('lists the non-OK states in the one order whatever order they came in', () => {
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
      assert.deepEqual(
        buildFindings(input, 'example.com', NO_ANCHORS).fixes.map((f) => `${f.label} ${f.subject} ${f.code}`),
        [
          'CRIT 192.0.2.9:25 c.crit',
          'CRIT 192.0.2.10:25 c.crit',
          'WARN 192.0.2.10:25 a.warn',
          'WARN 192.0.2.10:25 b.warn',
          'UNKNOWN 192.0.2.9:25 x.tempfail',
          'INFO 192.0.2.9:25 a.info',
        ],
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
    ).fixes;
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
    const [f] = buildFindings([s], 'example.com', new Map([['192.0.2.10:25', 'r-ep-0']])).fixes;
    assert.equal(f!.anchor, 'r-ep-0');
    assert.equal(f!.message, 'Banner \\x1b[2J\\u202eevil');
  });
});
