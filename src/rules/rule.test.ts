import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reply } from '../../test/fixtures/observations.js';
import { Status } from '../model/status.js';
import { finding, orOk, quoteReply, sortStates } from './rule.js';

describe('rule helpers', () => {
  it('finding() puts the fix in meta', () => {
    const s = finding('smtp.x', {
      status: Status.WARN,
      code: 'smtp.x.y',
      subject: 'a',
      message: 'M.',
      fix: 'Do it.',
      meta: { reply: ['550 no'] },
    });
    assert.deepEqual(s, {
      status: 3,
      rule: 'smtp.x',
      code: 'smtp.x.y',
      subject: 'a',
      message: 'M.',
      meta: { reply: ['550 no'], fix: 'Do it.' },
    });
  });

  it('orOk() never returns an empty result and sorts findings', () => {
    const ok = { status: Status.OK, message: 'Fine.' } as const;
    assert.deepEqual(
      orOk([], () => ok),
      [ok],
    );
    const a = finding('r', { status: 4, code: 'c', subject: 'b', message: 'B.' });
    const b = finding('r', { status: 4, code: 'c', subject: 'a', message: 'A.' });
    assert.deepEqual(
      orOk([a, b], () => ok),
      [b, a],
    );
    assert.deepEqual(sortStates([a, b]), [b, a]);
  });

  it('quoteReply() quotes every line', () => {
    assert.equal(quoteReply(reply(550, '5.7.1 Relay access denied')), '"550 5.7.1 Relay access denied"');
    assert.equal(quoteReply(reply(421, 'one', 'two')), '"421-one 421 two"');
  });

  it('quoteReply() writes control characters a server sent as escapes', () => {
    assert.equal(
      quoteReply(reply(250, 'Ok \u0007\u001b]0;pwned\u0007 \u0000\u009b')),
      '"250 Ok \\u0007\\u001b]0;pwned\\u0007 \\u0000\\u009b"',
    );
  });

  it('quoteReply() escapes bidi controls, quotes and backslashes, and cuts a long reply', () => {
    assert.equal(quoteReply(reply(550, 'no \u202eexe.txt "x" \\ y')), '"550 no \\u202eexe.txt \\"x\\" \\\\ y"');
    const long = quoteReply(reply(550, 'x'.repeat(500)));
    assert.equal(long.length, 202, 'at most 200 characters between the quotes');
    assert.ok(long.endsWith('…"'));
  });
});
