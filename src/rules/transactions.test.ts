import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allUnreachableObservation,
  endpoint,
  observation,
  reply,
  transaction,
} from '../../test/fixtures/observations.js';
import type { EndpointProbe, Observation, Transaction } from '../model/observation.js';
import type { CheckState } from '../model/status.js';
import { nullSender } from './null-sender.js';
import { openRelay } from './open-relay.js';
import { postmaster } from './postmaster.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

/** A healthy endpoint whose transaction of that kind is replaced. */
function withTx(address: string, ...txs: Transaction[]): EndpointProbe {
  const e = endpoint({ address });
  return { ...e, transactions: e.transactions.map((t) => txs.find((x) => x.kind === t.kind) ?? t) };
}

/** Decided at MAIL: the sender itself was answered `code`. */
function atMail(kind: Transaction['kind'], code: number, text: string): Transaction {
  const outcome = code >= 500 ? 'rejected' : 'tempfail';
  return { ...transaction(kind, outcome), mail: reply(code, text), rcpt: null, decided_at: 'mail' };
}

function rcptReply(kind: Transaction['kind'], code: number, text: string): Transaction {
  const outcome = code >= 500 ? 'rejected' : code >= 400 ? 'tempfail' : 'accepted';
  return { ...transaction(kind, outcome), rcpt: reply(code, text) };
}

const off = (key: 'test_null_sender' | 'test_postmaster' | 'test_open_relay'): Observation => {
  const obs = observation();
  return { ...obs, options: { ...obs.options, [key]: false } };
};

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
    assert.deepEqual(brief(nullSender.evaluate(off('test_null_sender'))), [
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
});

describe('smtp.postmaster', () => {
  it('is OK when postmaster is accepted', () => {
    assert.deepEqual(brief(postmaster.evaluate(observation())), [[1, 'smtp.postmaster.ok', 'example.com']]);
  });

  it('reports a refused or tempfailed postmaster, and an inconclusive test when the sender was refused', () => {
    const endpoints = [
      withTx('192.0.2.1', rcptReply('postmaster', 550, '5.1.1 User unknown')),
      withTx('192.0.2.2', rcptReply('postmaster', 451, '4.3.0 Try later')),
      withTx('192.0.2.3', atMail('postmaster', 553, '5.7.1 Sender rejected')),
    ];
    const states = postmaster.evaluate(observation({ endpoints }));
    assert.deepEqual(brief(states), [
      [4, 'smtp.postmaster.rejected', '192.0.2.1:25'],
      [3, 'smtp.postmaster.tempfail', '192.0.2.2:25'],
      [0, 'smtp.postmaster.untested', '192.0.2.3:25'],
    ]);
    assert.match(states[0]!.message, /RFC 5321 §4\.5\.1/);
  });

  it('says so when switched off', () => {
    assert.deepEqual(brief(postmaster.evaluate(off('test_postmaster'))), [
      [2, 'smtp.postmaster.skipped', 'example.com'],
    ]);
  });
});

describe('smtp.open_relay', () => {
  it('is OK when relaying is refused', () => {
    assert.deepEqual(brief(openRelay.evaluate(observation())), [[1, 'smtp.open_relay.ok', 'example.com']]);
  });

  it('flags an open relay, naming the recipient and quoting the reply', () => {
    const e = withTx('192.0.2.1', rcptReply('open_relay', 250, '2.1.5 Ok'));
    const states = openRelay.evaluate(observation({ endpoints: [e, endpoint({ address: '192.0.2.2' })] }));
    assert.deepEqual(brief(states), [[4, 'smtp.open_relay', '192.0.2.1:25']]);
    assert.match(states[0]!.message, /postmaster@example\.net/);
    assert.match(states[0]!.message, /Answered "250 2\.1\.5 Ok"/);
    assert.match(String(states[0]!.meta?.['fix']), /reject_unauth_destination/);
    assert.match(String(states[0]!.meta?.['fix']), /relay_from_hosts/);
  });

  it('cannot tell on a temporary refusal or a refused sender', () => {
    const endpoints = [
      withTx('192.0.2.1', rcptReply('open_relay', 450, '4.7.1 Greylisted')),
      withTx('192.0.2.2', atMail('open_relay', 550, '5.7.1 Sender rejected')),
    ];
    assert.deepEqual(brief(openRelay.evaluate(observation({ endpoints }))), [
      [0, 'smtp.open_relay.tempfail', '192.0.2.1:25'],
      [0, 'smtp.open_relay.untested', '192.0.2.2:25'],
    ]);
  });

  it('cannot tell on a dialogue broken inside the relay probe, and names that endpoint', () => {
    const broken = withTx('192.0.2.1', {
      ...transaction('open_relay', 'error'),
      mail: reply(250, '2.1.0 Ok'),
      note: 'no answer to RCPT TO',
    });
    const mixed = openRelay.evaluate(observation({ endpoints: [broken, endpoint({ address: '192.0.2.2' })] }));
    assert.deepEqual(brief(mixed), [[0, 'smtp.open_relay.no_answer', '192.0.2.1:25']]);
    assert.match(
      mixed[0]!.message,
      /gave no usable answer to RCPT TO:<postmaster@example\.net>; the open relay probe could not finish/,
    );
  });

  it('says so when switched off', () => {
    assert.deepEqual(brief(openRelay.evaluate(off('test_open_relay'))), [
      [2, 'smtp.open_relay.skipped', 'example.com'],
    ]);
  });
});
