import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareFindings, compareSubjects } from './order.js';
import { Status } from './status.js';

describe('order', () => {
  it('compareSubjects() orders numbers naturally', () => {
    const subjects = ['example.com', '192.0.2.10:25', '[2001:db8::9]:25', '192.0.2.9:25', 'mx1.example.com'];
    assert.deepEqual([...subjects].sort(compareSubjects), [
      '192.0.2.9:25',
      '192.0.2.10:25',
      '[2001:db8::9]:25',
      'example.com',
      'mx1.example.com',
    ]);
  });

  it('compareFindings() orders by severity (CRIT, WARN, UNKNOWN, INFO), then subject, then code', () => {
    const f = (status: (typeof Status)[keyof typeof Status], subject: string, code: string) => ({
      status,
      subject,
      code,
      message: `${code} on ${subject}`,
    });
    const findings = [
      f(Status.INFO, '192.0.2.9:25', 'a.info'),
      f(Status.UNKNOWN, 'example.com', 'a.untested'),
      f(Status.WARN, '192.0.2.10:25', 'b.warn'),
      f(Status.WARN, '192.0.2.10:25', 'a.warn'),
      f(Status.CRIT, '192.0.2.10:25', 'z.crit'),
      f(Status.WARN, '192.0.2.9:25', 'z.warn'),
      f(Status.CRIT, '192.0.2.9:25', 'z.crit'),
    ];
    assert.deepEqual(
      [...findings].sort(compareFindings).map((x) => `${x.subject} ${x.code}`),
      [
        '192.0.2.9:25 z.crit',
        '192.0.2.10:25 z.crit',
        '192.0.2.9:25 z.warn',
        '192.0.2.10:25 a.warn',
        '192.0.2.10:25 b.warn',
        'example.com a.untested',
        '192.0.2.9:25 a.info',
      ],
    );
  });

  it('compareFindings() breaks a tie on the message, so input order never shows', () => {
    const a = { status: Status.WARN, subject: 's', code: 'c', message: 'a' };
    const b = { ...a, message: 'b' };
    assert.deepEqual([b, a].sort(compareFindings), [a, b]);
  });
});
