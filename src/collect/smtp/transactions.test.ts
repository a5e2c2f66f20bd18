import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reply } from '../../../test/fixtures/observations.js';
import { parseOptions } from '../../config/options.js';
import type { TransactionKind } from '../../model/observation.js';
import {
  planTransactions,
  postmasterAnswered,
  settleTransaction,
  skippedTransaction,
  withProbesSkipped,
} from './transactions.js';

const options = (extra: Record<string, unknown> = {}) => parseOptions({ domain: 'example.com', ...extra });

describe('planTransactions()', () => {
  it('plans the null sender, postmaster and relay probes in that order, addressed as an operator would', () => {
    const plan = planTransactions(options({ helo_name: 'checker.example.net' }));
    assert.deepEqual(
      plan.map((p) => [p.kind, p.run, p.mailFrom, p.rcptTo]),
      [
        ['null_sender', true, '', 'postmaster@example.com'],
        ['postmaster', true, 'postmaster@checker.example.net', 'postmaster@example.com'],
        ['open_relay', true, 'postmaster@checker.example.net', 'postmaster@example.net'],
      ],
    );
  });

  it('marks a probe its option switched off as not run, naming the option', () => {
    const plan = planTransactions(options({ test_postmaster: false }));
    const postmaster = plan.find((p) => p.kind === 'postmaster')!;
    assert.equal(postmaster.run, false);
    assert.equal(postmaster.skipNote, 'switched off by option test_postmaster');
    assert.deepEqual(
      plan.filter((p) => p.run).map((p) => p.kind),
      ['null_sender', 'open_relay'],
    );
  });
});

describe('withProbesSkipped()', () => {
  it('switches off the option of every probe to skip, and only those', () => {
    const out = withProbesSkipped(options(), ['open_relay', 'null_sender']);
    assert.equal(out.test_open_relay, false);
    assert.equal(out.test_null_sender, false);
    assert.equal(out.test_postmaster, true);
    assert.deepEqual(
      planTransactions(out).map((p) => [p.kind, p.run, p.skipNote]),
      [
        ['null_sender', false, 'switched off by option test_null_sender'],
        ['postmaster', true, 'switched off by option test_postmaster'],
        ['open_relay', false, 'switched off by option test_open_relay'],
      ],
    );
  });

  it('leaves the options as they were when nothing is skipped, and never switches a probe back on', () => {
    const off = options({ test_postmaster: false });
    assert.deepEqual(withProbesSkipped(off), off);
    assert.deepEqual(withProbesSkipped(off, []), off);
    assert.equal(withProbesSkipped(off, ['null_sender']).test_postmaster, false);
  });

  it('does not change the options it was given', () => {
    const before = options();
    withProbesSkipped(before, ['postmaster']);
    assert.equal(before.test_postmaster, true);
  });

  it('refuses a value that names no probe, quoting it and listing the probes', () => {
    assert.throws(
      () => withProbesSkipped(options(), ['smtp.open_relay' as TransactionKind]),
      (err: unknown) =>
        err instanceof RangeError &&
        err.message ===
          'Unknown probe "smtp.open_relay" in skipProbes: expected one of null_sender, postmaster, open_relay.',
    );
    assert.throws(() => withProbesSkipped(options(), ['toString' as TransactionKind]), RangeError);
  });
});

describe('settleTransaction() and skippedTransaction()', () => {
  const [nullSender] = planTransactions(options());
  /** A transaction sent first, in plaintext. */
  const PLAIN = { tls: false, sequence: 1 };

  it('lets a refusal at MAIL decide, whatever RCPT got', () => {
    const t = settleTransaction(nullSender!, reply(550, '5.7.1 No'), reply(503, '5.5.1 Need MAIL'), null, PLAIN);
    assert.deepEqual([t.outcome, t.decided_at, t.note], ['rejected', 'mail', null]);
  });

  it('lets RCPT decide once MAIL was accepted, a 4xx being temporary', () => {
    const t = settleTransaction(
      nullSender!,
      reply(250, '2.1.0 Ok'),
      reply(451, '4.7.1 Later'),
      reply(250, 'Ok'),
      PLAIN,
    );
    assert.deepEqual([t.outcome, t.decided_at, t.rset?.code], ['tempfail', 'rcpt', 250]);
  });

  it('calls a missing or out-of-place reply an error, saying which', () => {
    assert.equal(settleTransaction(nullSender!, null, null, null, PLAIN).note, 'no answer to MAIL FROM');
    assert.equal(settleTransaction(nullSender!, reply(250), null, null, PLAIN).note, 'no answer to RCPT TO');
    assert.equal(
      settleTransaction(nullSender!, reply(354), null, null, PLAIN).note,
      'unexpected reply 354 to MAIL FROM',
    );
    assert.equal(
      settleTransaction(nullSender!, reply(250), reply(354), null, PLAIN).note,
      'unexpected reply 354 to RCPT TO',
    );
  });

  it('records a skipped transaction with its addresses and why', () => {
    assert.deepEqual(skippedTransaction(nullSender!, 'not run: because'), {
      kind: 'null_sender',
      mail_from: '',
      rcpt_to: 'postmaster@example.com',
      mail: null,
      rcpt: null,
      rset: null,
      outcome: 'skipped',
      decided_at: null,
      note: 'not run: because',
      tls: false,
      sequence: 0,
      answered_by: null,
    });
  });

  it('records where a transaction ran: inside TLS or not, and its place on the connection', () => {
    const t = settleTransaction(nullSender!, reply(250), reply(250), reply(250), { tls: true, sequence: 2 });
    assert.deepEqual([t.tls, t.sequence, t.answered_by], [true, 2, null]);
  });
});

describe('postmasterAnswered()', () => {
  const [nullSender, postmaster] = planTransactions(options());
  const settled = (rcpt: number) =>
    settleTransaction(nullSender!, reply(250, '2.1.0 Ok'), reply(rcpt, 'x'), reply(250), { tls: true, sequence: 1 });

  it('takes the answer of an accepted null-sender transaction to postmaster@domain, saying so', () => {
    const t = postmasterAnswered(settled(250), postmaster!)!;
    assert.deepEqual(
      [t.kind, t.outcome, t.answered_by, t.mail_from, t.rcpt?.code],
      ['postmaster', 'accepted', 'null_sender', '', 250],
    );
    assert.match(t.note!, /answered by the null-sender transaction/);
  });

  it('leaves a refused or missing null-sender transaction to a postmaster probe of its own', () => {
    assert.equal(postmasterAnswered(settled(550), postmaster!), null);
    assert.equal(postmasterAnswered(settled(450), postmaster!), null);
    assert.equal(postmasterAnswered(undefined, postmaster!), null);
  });
});
