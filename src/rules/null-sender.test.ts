import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allUnreachableObservation,
  endpoint,
  nullMxObservation,
  observation,
  reply,
  transaction,
} from '../../test/fixtures/observations.js';
import { atMail, optionOff, rcptReply, withTx } from '../../test/fixtures/rule-fixtures.js';
import type { EndpointProbe } from '../model/observation.js';
import type { CheckState } from '../model/status.js';
import { nullSender } from './null-sender.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

describe('smtp.null_sender', () => {
  it('is OK when every endpoint accepts MAIL FROM:<>', () => {
    assert.deepEqual(brief(nullSender.evaluate(observation())), [[1, 'smtp.null_sender.ok', 'example.com']]);
  });

  it('reports refusals and temporary refusals', () => {
    const endpoints = [
      withTx('192.0.2.1', atMail('null_sender', 550, '5.7.1 Null sender not allowed')),
      withTx('192.0.2.2', rcptReply('null_sender', 550, '5.7.1 No bounces')),
      withTx('192.0.2.3', rcptReply('null_sender', 450, '4.2.0 Greylisted')),
    ];
    const states = nullSender.evaluate(observation({ endpoints }));
    assert.deepEqual(brief(states), [
      [4, 'smtp.null_sender.rejected', '192.0.2.1:25'],
      [4, 'smtp.null_sender.rejected', '192.0.2.2:25'],
      [3, 'smtp.null_sender.tempfail', '192.0.2.3:25'],
    ]);
    assert.match(states[0]!.message, /refused MAIL FROM:<> with "550 5\.7\.1 Null sender not allowed"/);
    assert.match(states[0]!.message, /RFC 5321 §4\.5\.5/);
  });

  it('says where a refusal came, and which domain loses its bounces', () => {
    const states = nullSender.evaluate(
      observation({ endpoints: [withTx('192.0.2.2', rcptReply('null_sender', 550, '5.7.1 No bounces'))] }),
    );
    assert.match(
      states[0]!.message,
      /accepted MAIL FROM:<> but refused RCPT TO:<postmaster@example\.com> with "550 5\.7\.1 No bounces" for the null sender: bounces and delivery notifications to example\.com are lost/,
    );
    assert.match(String(states[0]!.meta?.['fix']), /smtpd_sender_restrictions/);
    assert.deepEqual(states[0]!.meta?.['reply'], ['550 5.7.1 No bounces']);
    assert.equal(states[0]!.meta?.['decided_at'], 'rcpt');
  });

  it('names the command a temporary refusal answered', () => {
    const states = nullSender.evaluate(
      observation({
        endpoints: [withTx('192.0.2.1', atMail('null_sender', 451, '4.7.1 Greylisted, try again later'))],
      }),
    );
    assert.deepEqual(brief(states), [[3, 'smtp.null_sender.tempfail', '192.0.2.1:25']]);
    assert.match(states[0]!.message, /temporary refusal "451 4\.7\.1 Greylisted, try again later" at MAIL FROM:<>/);
  });

  it('calls a rate limit on the checker a refusal of the checker, not of the null sender', () => {
    const states = nullSender.evaluate(
      observation({ endpoints: [withTx('192.0.2.1', atMail('null_sender', 421, '4.7.0 Too many connections'))] }),
    );
    assert.deepEqual(brief(states), [[0, 'smtp.null_sender.checker_refused', '192.0.2.1:25']]);
    assert.match(states[0]!.message, /a refusal of how much the checker \(or this address\) sent \("Too many"\)/);
    assert.match(String(states[0]!.meta?.['fix']), /again later/);
  });

  it('does not blame the null sender when the recipient is refused for any sender', () => {
    const e = withTx(
      '192.0.2.1',
      rcptReply('null_sender', 550, '5.1.1 User unknown'),
      rcptReply('postmaster', 550, '5.1.1 User unknown'),
    );
    const states = nullSender.evaluate(observation({ endpoints: [e] }));
    assert.deepEqual(brief(states), [[1, 'smtp.null_sender.ok', 'example.com']]);
    assert.match(states[0]!.message, /refusal concerns the recipient/);
  });

  it('says so when switched off', () => {
    assert.deepEqual(brief(nullSender.evaluate(optionOff('test_null_sender'))), [
      [2, 'smtp.null_sender.skipped', 'example.com'],
    ]);
  });

  it('names the endpoint whose dialogue broke inside the transaction, beside one that answered', () => {
    const e: EndpointProbe = {
      ...withTx('192.0.2.1', {
        ...transaction('null_sender', 'error'),
        mail: reply(250, '2.1.0 Ok'),
        rcpt: null,
        decided_at: null,
        note: 'no answer to RCPT TO',
      }),
      error: { code: 'timeout', phase: 'null_sender', message: 'the 2 s time budget ran out' },
    };
    const states = nullSender.evaluate(observation({ endpoints: [e, endpoint({ address: '192.0.2.2' })] }));
    assert.deepEqual(brief(states), [[3, 'smtp.null_sender.no_answer', '192.0.2.1:25']]);
    assert.equal(
      states[0]!.message,
      '192.0.2.1:25 gave no usable answer to RCPT TO:<postmaster@example.com>: the 2 s time budget ran out; the null sender probe could not finish.',
    );
  });

  it('quotes a reply no server gives to MAIL FROM', () => {
    const e = withTx('192.0.2.1', {
      ...transaction('null_sender', 'error'),
      mail: reply(354, 'Go ahead'),
      rcpt: null,
      decided_at: 'mail',
      note: 'unexpected reply 354 to MAIL FROM',
    });
    const states = nullSender.evaluate(observation({ endpoints: [e] }));
    assert.deepEqual(brief(states), [[3, 'smtp.null_sender.no_answer', '192.0.2.1:25']]);
    assert.match(states[0]!.message, /answered MAIL FROM:<> with "354 Go ahead", which is not an SMTP answer to it/);
  });

  it('is UNKNOWN when no endpoint got to the transaction', () => {
    assert.deepEqual(brief(nullSender.evaluate(allUnreachableObservation())), [
      [0, 'smtp.null_sender.untested', 'example.com'],
    ]);
  });

  it('collapses to one INFO for a null MX', () => {
    assert.deepEqual(brief(nullSender.evaluate(nullMxObservation())), [[2, 'smtp.null_mx.not_probed', 'example.com']]);
  });

  it('declares the null_sender probe as the one only it needs', () => {
    assert.deepEqual(nullSender.probes, ['null_sender']);
  });
});
