import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allUnreachableObservation,
  endpoint,
  observation,
  reply,
  transaction,
  unreachableEndpoint,
} from '../../test/fixtures/observations.js';
import { atMail, optionOff, rcptReply, withTx } from '../../test/fixtures/rule-fixtures.js';
import type { CheckState } from '../model/status.js';
import { openRelay } from './open-relay.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

describe('smtp.open_relay', () => {
  it('is OK when relaying is refused', () => {
    assert.deepEqual(brief(openRelay.evaluate(observation())), [[1, 'smtp.open_relay.ok', 'example.com']]);
  });

  it('names the probe recipient in the OK message, and says when the requested one was replaced', () => {
    const plain = openRelay.evaluate(observation());
    assert.equal(plain[0]!.message, 'Both endpoints refuse to relay to <postmaster@example.net>.');
    const base = observation({ endpoints: [endpoint(), unreachableEndpoint('192.0.2.11')] });
    const replaced = openRelay.evaluate({ ...base, options: { ...base.options, probe_address_replaced: true } });
    assert.equal(
      replaced[0]!.message,
      '192.0.2.10:25 refuses to relay to <postmaster@example.net>; the requested probe address lay inside the tested domain and was replaced (1 other endpoint could not be tested: unreachable).',
    );
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
    assert.deepEqual(brief(openRelay.evaluate(optionOff('test_open_relay'))), [
      [2, 'smtp.open_relay.skipped', 'example.com'],
    ]);
  });

  it('is UNKNOWN when no endpoint got to the transaction', () => {
    assert.deepEqual(brief(openRelay.evaluate(allUnreachableObservation())), [
      [0, 'smtp.open_relay.untested', 'example.com'],
    ]);
  });

  it('declares the open_relay probe as the one only it needs', () => {
    assert.deepEqual(openRelay.probes, ['open_relay']);
  });
});
