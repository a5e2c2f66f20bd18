import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Reply } from './observation.js';
import { aimedAtChecker, classifyRefusal, type RefusalTarget } from './refusal.js';

/** A reply as the parser records it: code and enhanced code from the first line, every line kept. */
function reply(...lines: string[]): Reply {
  const first = lines[0]!;
  const enhanced = /^\d{3}[- ]([245]\.\d{1,3}\.\d{1,3})\b/.exec(first)?.[1] ?? null;
  return { code: Number(first.slice(0, 3)), enhanced, lines };
}

/** Replies as real servers send them, and what each refuses. */
const CASES: [string, Reply, RefusalTarget][] = [
  // Postfix
  [
    'Postfix reject_unknown_client_hostname (RFC 7372 code)',
    reply('550 5.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]'),
    'client',
  ],
  [
    'Postfix reject_unknown_client_hostname (older 4.7.1)',
    reply('450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]'),
    'client',
  ],
  [
    'Postfix reject_unknown_reverse_client_hostname',
    reply('450 4.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.1]'),
    'client',
  ],
  [
    'Postfix reject_rbl_client',
    reply('554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org'),
    'client',
  ],
  [
    'Postfix reject_unknown_helo_hostname',
    reply('450 4.7.1 <mx-checker.example>: Helo command rejected: Host not found'),
    'helo',
  ],
  [
    'Postfix reject_non_fqdn_helo_hostname',
    reply('504 5.5.2 <checker>: Helo command rejected: need fully-qualified hostname'),
    'helo',
  ],
  [
    'Postfix reject_unknown_sender_domain',
    reply('450 4.1.8 <postmaster@mx-checker.example>: Sender address rejected: Domain not found'),
    'sender',
  ],
  ['Postfix relay restriction', reply('554 5.7.1 <postmaster@example.com>: Relay access denied'), 'relay'],
  [
    'Postfix unknown local user',
    reply('550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in local recipient table'),
    'recipient',
  ],
  ['Postfix encrypt', reply('530 5.7.0 Must issue a STARTTLS command first'), 'tls_required'],
  ['Postfix message rate limit', reply('450 4.7.1 Error: too much mail from 192.0.2.1'), 'rate'],
  ['Postfix connection count', reply('421 4.7.0 mx.example Error: too many connections from 192.0.2.1'), 'rate'],
  [
    'postgrey',
    reply(
      '450 4.2.0 <postmaster@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html',
    ),
    'greylist',
  ],
  // Exim
  ['Exim default sender verification', reply('550 Sender verify failed'), 'sender'],
  ['Exim sender verification deferred', reply('451 Could not complete sender verify'), 'sender'],
  ['Exim default relay refusal', reply('550 relay not permitted'), 'relay'],
  ['Exim smtp_accept_max', reply('421 Too many concurrent SMTP connections; please try again later.'), 'rate'],
  ['Exim unknown recipient', reply('550 Unrouteable address'), 'recipient'],
  ['Exim DNS list', reply('550 rejected because 192.0.2.1 is in a black list at zen.spamhaus.org'), 'client'],
  ['Exim HELO verification', reply('550 HELO/EHLO verification failed'), 'helo'],
  // Sendmail
  ['Sendmail relaying denied', reply('550 5.7.1 <postmaster@example.com>... Relaying denied'), 'relay'],
  [
    'Sendmail unresolvable sender',
    reply(
      '553 5.1.8 <postmaster@nowhere.invalid>... Domain of sender address postmaster@nowhere.invalid does not exist',
    ),
    'sender',
  ],
  ['Sendmail we do not relay', reply('550 5.7.1 <a@example.com>... we do not relay <checker@example.net>'), 'relay'],
  // Haraka
  ['Haraka mail_from.is_resolvable', reply('550 No MX for your FROM address'), 'sender'],
  ['Haraka rcpt_to.in_host_list', reply('550 I cannot deliver mail for <postmaster@example.com>'), 'relay'],
  // Microsoft
  ['Exchange Online relay', reply('550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain'), 'relay'],
  ['Exchange banned sending IP', reply('550 5.7.606 Access denied, banned sending IP [192.0.2.1]'), 'client'],
  ['Exchange server busy', reply('451 4.7.500 Server busy. Please try again later from [192.0.2.1]'), 'rate'],
  ['Exchange unable to relay', reply('550 5.7.1 Unable to relay'), 'relay'],
  // Google
  [
    'Gmail no PTR',
    reply(
      '550-5.7.25 [192.0.2.1] The IP address sending this message does not have a',
      '550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not',
      '550 5.7.25 point to the sending IP.',
    ),
    'client',
  ],
  [
    'Gmail rate',
    reply(
      '421-4.7.28 [192.0.2.1] Our system has detected an unusual rate of',
      '421 4.7.28 unsolicited mail originating from your IP address.',
    ),
    'rate',
  ],
  ['Gmail unknown account', reply('550-5.1.1 The email account that you tried to reach does not exist.'), 'recipient'],
  // Unrecognised
  ['a bare refusal', reply('550 rejected'), 'unknown'],
  ['a bare 5.7.1 refusal', reply('550 5.7.1 Delivery not authorized'), 'relay'],
];

describe('classifyRefusal()', () => {
  for (const [name, r, target] of CASES) {
    test(`${name}: ${target}`, () => {
      assert.equal(classifyRefusal(r).target, target, r.lines.join(' / '));
    });
  }

  test('the enhanced code decides before the text', () => {
    const c = classifyRefusal(reply('550 5.7.25 Relay access denied'));
    assert.deepEqual(c, { target: 'client', basis: 'enhanced', evidence: '5.7.25' });
  });

  test('the text decides where the enhanced code is ambiguous, and names the words', () => {
    const c = classifyRefusal(reply('450 4.7.1 <checker.example>: Helo command rejected: Host not found'));
    assert.deepEqual(c, { target: 'helo', basis: 'text', evidence: 'Helo command rejected' });
  });

  test('"try again later" in a permanent refusal is not greylisting', () => {
    assert.equal(classifyRefusal(reply('550 go away, and do not try again later')).target, 'unknown');
    assert.equal(classifyRefusal(reply('451 4.7.1 Please try again later')).target, 'greylist');
  });

  test('continuation lines count: the words may sit on any line', () => {
    const r = reply('550-5.7.1 Message rejected.', '550 5.7.1 Client host rejected: Access denied');
    assert.equal(classifyRefusal(r).target, 'client');
  });

  test("aimedAtChecker() is true for the checker's identity and behaviour only", () => {
    const aimed = (['client', 'helo', 'sender', 'rate', 'tls_required'] as const).map(aimedAtChecker);
    const notAimed = (['relay', 'recipient', 'greylist', 'unknown'] as const).map(aimedAtChecker);
    assert.deepEqual(aimed, [true, true, true, true, true]);
    assert.deepEqual(notAimed, [false, false, false, false]);
  });
});
