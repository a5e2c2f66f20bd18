import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allUnreachableObservation,
  endpoint,
  observation,
  reply,
  transaction,
} from '../../test/fixtures/observations.js';
import { atMail, optionOff, rcptReply, withTx } from '../../test/fixtures/rule-fixtures.js';
import type { CheckState } from '../model/status.js';
import { postmaster } from './postmaster.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

describe('smtp.postmaster', () => {
  it('is OK when postmaster is accepted', () => {
    const states = postmaster.evaluate(observation());
    assert.deepEqual(brief(states), [[1, 'smtp.postmaster.ok', 'example.com']]);
    assert.equal(states[0]!.message, 'Both endpoints accept mail for postmaster@example.com.');
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

  it('tells how to create the postmaster address of the tested domain', () => {
    const [s] = postmaster.evaluate(
      observation({ endpoints: [withTx('192.0.2.1', rcptReply('postmaster', 550, '5.1.1 User unknown'))] }),
    );
    assert.match(s!.message, /refused RCPT TO:<postmaster@example\.com> with "550 5\.1\.1 User unknown"/);
    assert.match(String(s!.meta?.['fix']), /^Create postmaster@example\.com \(an alias/);
    assert.equal(s!.meta?.['rcpt_to'], 'postmaster@example.com');
  });

  it('names the test sender a refusal at MAIL was about, temporary or not', () => {
    const states = postmaster.evaluate(
      observation({
        endpoints: [
          withTx('192.0.2.1', atMail('postmaster', 450, '4.7.1 Slow down')),
          withTx('192.0.2.2', atMail('postmaster', 553, '5.7.1 Sender rejected')),
        ],
      }),
    );
    assert.deepEqual(brief(states), [
      [3, 'smtp.postmaster.tempfail', '192.0.2.1:25'],
      [0, 'smtp.postmaster.untested', '192.0.2.2:25'],
    ]);
    assert.match(states[0]!.message, /answered MAIL FROM:<postmaster@mx-checker\.happydomain\.org> with a temporary/);
    assert.match(states[1]!.message, /refused the test sender MAIL FROM:<postmaster@mx-checker\.happydomain\.org>/);
  });

  it('warns about a dialogue broken inside the postmaster probe, naming that endpoint', () => {
    const broken = withTx('192.0.2.1', {
      ...transaction('postmaster', 'error'),
      mail: reply(250, '2.1.0 Ok'),
      note: 'no answer to RCPT TO',
    });
    const states = postmaster.evaluate(observation({ endpoints: [broken, endpoint({ address: '192.0.2.2' })] }));
    assert.deepEqual(brief(states), [[3, 'smtp.postmaster.no_answer', '192.0.2.1:25']]);
    assert.match(states[0]!.message, /the postmaster probe could not finish/);
  });

  it('says so when switched off', () => {
    assert.deepEqual(brief(postmaster.evaluate(optionOff('test_postmaster'))), [
      [2, 'smtp.postmaster.skipped', 'example.com'],
    ]);
  });

  it('is UNKNOWN when no endpoint got to the transaction', () => {
    assert.deepEqual(brief(postmaster.evaluate(allUnreachableObservation())), [
      [0, 'smtp.postmaster.untested', 'example.com'],
    ]);
  });

  it('declares the postmaster probe as the one only it needs', () => {
    assert.deepEqual(postmaster.probes, ['postmaster']);
  });
});
