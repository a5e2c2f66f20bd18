import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpoint, observation, reply, transaction, unreachableEndpoint } from '../../test/fixtures/observations.js';
import { atMail, optionOff, rcptReply, withTx } from '../../test/fixtures/rule-fixtures.js';
import type { EndpointProbe, Transaction } from '../model/observation.js';
import { Status } from '../model/status.js';
import {
  brokenTransaction,
  decidingReply,
  replyMeta,
  switchedOff,
  transactionBlocked,
  transactionOf,
} from './transaction-rule.js';

/** The null-sender transaction broken the way `over` says. */
function broken(over: Partial<Transaction>, error: EndpointProbe['error'] = null): EndpointProbe {
  return { ...withTx('192.0.2.1', { ...transaction('null_sender', 'error'), ...over }), error };
}

describe('transactionOf()', () => {
  it('finds the transaction of a kind, or null when the endpoint has none', () => {
    const e = endpoint();
    assert.equal(transactionOf(e, 'postmaster')?.kind, 'postmaster');
    assert.equal(transactionOf({ ...e, transactions: [] }, 'postmaster'), null);
  });
});

describe('transactionBlocked()', () => {
  it('lets a transaction that got an answer, or broke inside, be judged', () => {
    assert.equal(transactionBlocked(endpoint(), 'open_relay'), null);
    assert.equal(transactionBlocked(broken({ mail: reply(250) }), 'null_sender'), null);
  });

  it('blames the upstream failure first', () => {
    assert.equal(transactionBlocked(unreachableEndpoint('192.0.2.1'), 'null_sender'), 'unreachable');
    assert.equal(
      transactionBlocked(endpoint({ greeting: reply(554, 'No service') }), 'null_sender'),
      'no 220 greeting',
    );
  });

  it('gives a skipped transaction\'s own note, else why the dialogue stopped, else "not run"', () => {
    const skipped = (note: string | null, error: EndpointProbe['error'] = null): EndpointProbe => ({
      ...withTx('192.0.2.1', { ...transaction('postmaster', 'skipped'), note }),
      error,
    });
    assert.equal(
      transactionBlocked(skipped('switched off by option test_postmaster'), 'postmaster'),
      'switched off by option test_postmaster',
    );
    const stop = {
      code: 'closed' as const,
      phase: 'null_sender' as const,
      message: 'the server closed the connection',
    };
    assert.equal(
      transactionBlocked(skipped(null, stop), 'postmaster'),
      'dialogue stopped at null_sender: the server closed the connection',
    );
    assert.equal(transactionBlocked(skipped(null), 'postmaster'), 'not run');
    assert.equal(transactionBlocked({ ...endpoint(), transactions: [] }, 'postmaster'), 'not run');
  });
});

describe('brokenTransaction()', () => {
  it('is null for a transaction that did not break', () => {
    assert.equal(brokenTransaction('smtp.x', 'smtp.x.no_answer', Status.WARN, endpoint(), 'null_sender'), null);
  });

  it('names the MAIL command left unanswered, with the dialogue error', () => {
    const e = broken(
      { mail: null, rcpt: null, decided_at: null },
      {
        code: 'timeout',
        phase: 'null_sender',
        message: 'the 2 s time budget ran out',
      },
    );
    const s = brokenTransaction('smtp.x', 'smtp.x.no_answer', Status.WARN, e, 'null_sender')!;
    assert.equal(s.status, Status.WARN);
    assert.equal(s.rule, 'smtp.x');
    assert.equal(s.code, 'smtp.x.no_answer');
    assert.equal(s.subject, '192.0.2.1:25');
    assert.equal(
      s.message,
      '192.0.2.1:25 gave no usable answer to MAIL FROM:<>: the 2 s time budget ran out; the null sender probe could not finish.',
    );
    assert.match(String(s.meta?.['fix']), /smtpd_recipient_restrictions/);
    assert.deepEqual(s.meta?.['error'], e.error);
  });

  it('names RCPT once MAIL was accepted, and quotes a reply no server gives there', () => {
    const e = broken({ mail: reply(250, '2.1.0 Ok'), rcpt: reply(354, 'Go on'), decided_at: 'rcpt' });
    const s = brokenTransaction('smtp.x', 'smtp.x.no_answer', Status.UNKNOWN, e, 'null_sender')!;
    assert.equal(s.status, Status.UNKNOWN);
    assert.match(
      s.message,
      /answered RCPT TO:<postmaster@example\.com> with "354 Go on", which is not an SMTP answer to it/,
    );
    assert.deepEqual(s.meta?.['reply'], ['354 Go on']);
  });
});

describe('decidingReply() and replyMeta()', () => {
  it('takes the reply the transaction was decided at', () => {
    const mail = atMail('postmaster', 553, '5.7.1 Sender rejected');
    assert.deepEqual(decidingReply(mail)?.lines, ['553 5.7.1 Sender rejected']);
    const rcpt = rcptReply('postmaster', 550, '5.1.1 User unknown');
    assert.deepEqual(decidingReply(rcpt)?.lines, ['550 5.1.1 User unknown']);
  });

  it('falls back to the last reply there was when nothing decided', () => {
    const mailOnly = { ...transaction('open_relay', 'error'), mail: reply(250, 'Ok'), decided_at: null };
    assert.deepEqual(decidingReply(mailOnly)?.lines, ['250 Ok']);
    const both = { ...mailOnly, rcpt: reply(421, 'Bye') };
    assert.deepEqual(decidingReply(both)?.lines, ['421 Bye']);
    assert.equal(decidingReply(transaction('open_relay', 'skipped')), null);
  });

  it('puts the addresses, the decision and the deciding reply in meta, the note only when there is one', () => {
    assert.deepEqual(replyMeta(rcptReply('open_relay', 554, '5.7.1 Relay access denied')), {
      mail_from: 'postmaster@mx-checker.happydomain.org',
      rcpt_to: 'postmaster@example.net',
      decided_at: 'rcpt',
      reply: ['554 5.7.1 Relay access denied'],
    });
    assert.equal(replyMeta({ ...transaction('null_sender', 'skipped'), note: 'switched off' })['note'], 'switched off');
  });
});

describe('switchedOff()', () => {
  const precheck = switchedOff('smtp.postmaster', 'smtp.postmaster.skipped', 'test_postmaster', 'postmaster');

  it('answers one INFO naming the option when the probe was switched off', () => {
    assert.deepEqual(precheck(optionOff('test_postmaster')), [
      {
        status: Status.INFO,
        rule: 'smtp.postmaster',
        code: 'smtp.postmaster.skipped',
        subject: 'example.com',
        message: 'The postmaster probe was switched off by option test_postmaster; nothing was tested.',
      },
    ]);
  });

  it('lets the rule judge when the probe ran', () => {
    assert.equal(precheck(observation()), null);
    assert.equal(precheck(optionOff('test_open_relay')), null);
  });
});
