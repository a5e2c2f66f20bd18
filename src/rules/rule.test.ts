import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  endpoint,
  nullMxObservation,
  observation,
  reply,
  unreachableEndpoint,
} from '../../test/fixtures/observations.js';
import type { EndpointProbe } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import {
  NULL_MX_NOT_PROBED,
  allEndpoints,
  blockedBefore,
  dialogueStop,
  endpointRule,
  finding,
  helloCompleted,
  is2xx,
  is4xx,
  isLookupFailure,
  okState,
  orOk,
  partition,
  plural,
  quoteReply,
  sortStates,
  untestedSuffix,
  type EndpointRuleSpec,
} from './rule.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

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

describe('rule helpers: states and wording', () => {
  it("okState() is the rule's single OK state on the domain, meta only when given", () => {
    assert.deepEqual(okState('smtp.x', observation(), 'Fine.'), {
      status: Status.OK,
      rule: 'smtp.x',
      code: 'smtp.x.ok',
      subject: 'example.com',
      message: 'Fine.',
    });
    assert.deepEqual(okState('smtp.x', observation(), 'Fine.', { n: 2 }).meta, { n: 2 });
  });

  it('finding() leaves meta out when there is nothing to put in it', () => {
    const s = finding('smtp.x', { status: Status.CRIT, code: 'smtp.x.y', subject: 'a', message: 'M.' });
    assert.equal('meta' in s, false);
  });

  it("sortStates() orders one subject's states by code, keeping equal keys in the rule's order", () => {
    const s = (code: string, message: string) => finding('r', { status: 4, code, subject: 'a', message });
    assert.deepEqual(
      sortStates([s('c.b', '1'), s('c.a', '2'), s('c.b', '3')]).map((x) => x.message),
      ['2', '1', '3'],
    );
  });

  it('plural() counts in words', () => {
    assert.equal(plural(1, 'endpoint'), '1 endpoint');
    assert.equal(plural(0, 'endpoint'), '0 endpoints');
    assert.equal(plural(2, 'reply', 'replies'), '2 replies');
  });

  it('allEndpoints() names one endpoint, says "both" for two and counts more', () => {
    const e = (address: string) => endpoint({ address });
    assert.equal(allEndpoints([e('192.0.2.1')], 'works', 'work'), '192.0.2.1:25 works');
    assert.equal(allEndpoints([e('192.0.2.1'), e('192.0.2.2')], 'works', 'work'), 'Both endpoints work');
    assert.equal(
      allEndpoints([e('192.0.2.1'), e('192.0.2.2'), e('192.0.2.3')], 'works', 'work'),
      'All 3 endpoints work',
    );
  });

  it('quoteReply() folds white space and cuts a long reply with an ellipsis', () => {
    assert.equal(quoteReply(reply(250, '  spaced\t out  ')), '"250 spaced out"');
    const quoted = quoteReply(reply(550, 'x'.repeat(300)));
    assert.equal(quoted.length, 202);
    assert.ok(quoted.endsWith('…"'));
  });

  it('isLookupFailure() tells "could not look up" from "not there"', () => {
    assert.equal(isLookupFailure('NXDOMAIN'), false);
    assert.equal(isLookupFailure('NODATA'), false);
    for (const code of ['SERVFAIL', 'TIMEOUT', 'REFUSED', 'ERROR'] as const) assert.equal(isLookupFailure(code), true);
  });

  it('is2xx() and is4xx() classify a reply, and no reply as neither', () => {
    assert.deepEqual(
      [reply(250), reply(299), reply(354), reply(421), reply(499), reply(550)].map((r) => [is2xx(r), is4xx(r)]),
      [
        [true, false],
        [true, false],
        [false, false],
        [false, true],
        [false, true],
        [false, false],
      ],
    );
    assert.equal(is2xx(null), false);
    assert.equal(is4xx(null), false);
  });
});

describe('rule helpers: endpoint stages', () => {
  const refusedEhlo = endpoint({ ehlo: reply(550, 'No'), helo: null });
  const heloFallback = endpoint({ ehlo: reply(502, 'No'), helo_fallback: true, helo: reply(250, 'mx') });

  it('helloCompleted() accepts EHLO or the HELO fallback after a 220', () => {
    assert.equal(helloCompleted(endpoint()), true);
    assert.equal(helloCompleted(heloFallback), true);
    assert.equal(helloCompleted(refusedEhlo), false);
    assert.equal(helloCompleted(endpoint({ greeting: reply(421, 'Busy') })), false);
    assert.equal(helloCompleted(unreachableEndpoint('192.0.2.1')), false);
  });

  it('blockedBefore() says which upstream failure kept an endpoint from each stage', () => {
    const unreachable = unreachableEndpoint('192.0.2.1');
    const refused = unreachableEndpoint('10.0.0.1', 'policy.refused');
    const badGreeting = endpoint({ greeting: reply(554, 'Go away') });
    const table = [endpoint(), unreachable, refused, badGreeting, refusedEhlo].map((e) =>
      (['greeting', 'hello', 'session'] as const).map((stage) => blockedBefore(e, stage)),
    );
    assert.deepEqual(table, [
      [null, null, null],
      ['unreachable', 'unreachable', 'unreachable'],
      Array(3).fill('not probed: refused by the target policy'),
      [null, 'no 220 greeting', 'no 220 greeting'],
      [null, null, 'EHLO/HELO failed'],
    ]);
  });

  it('dialogueStop() words where the dialogue stopped, or null when it did not', () => {
    assert.equal(dialogueStop(endpoint()), null);
    assert.equal(
      dialogueStop(endpoint({ error: { code: 'reset', phase: 'ehlo', message: 'connection reset by the server' } })),
      'dialogue stopped at ehlo: connection reset by the server',
    );
  });

  it('partition() splits judged from untested with the reason, and untestedSuffix() sums the reasons up', () => {
    const endpoints = [
      endpoint({ address: '192.0.2.1' }),
      unreachableEndpoint('192.0.2.2'),
      unreachableEndpoint('192.0.2.3'),
      endpoint({ address: '192.0.2.4', greeting: reply(554, 'No') }),
    ];
    const p = partition(endpoints, (e) => blockedBefore(e, 'session'));
    assert.deepEqual(
      p.judged.map((e) => e.address),
      ['192.0.2.1'],
    );
    assert.deepEqual(
      p.untested.map((u) => [u.endpoint.address, u.reason]),
      [
        ['192.0.2.2', 'unreachable'],
        ['192.0.2.3', 'unreachable'],
        ['192.0.2.4', 'no 220 greeting'],
      ],
    );
    assert.equal(untestedSuffix(p), ' (3 other endpoints could not be tested: unreachable; no 220 greeting)');
    assert.equal(untestedSuffix(partition(endpoints.slice(0, 1), () => null)), '');
  });
});

describe('endpointRule()', () => {
  /** A rule that flags endpoints whose greeting names no host, judging those that got a greeting. */
  const spec = (over: Partial<EndpointRuleSpec> = {}): EndpointRuleSpec => ({
    name: 'smtp.test',
    description: 'A rule for the test.',
    untestedCode: 'smtp.test.untested',
    what: 'the greeting host',
    why: (e: EndpointProbe) => blockedBefore(e, 'hello'),
    judge: (p) =>
      p.judged
        .filter((e) => e.greeting_host === null)
        .map((e) =>
          finding('smtp.test', {
            status: Status.WARN,
            code: 'smtp.test.nameless',
            subject: e.subject,
            message: 'No name.',
          }),
        ),
    okMessage: (p) => `${allEndpoints(p.judged, 'names', 'name')} a host${untestedSuffix(p)}.`,
    ...over,
  });

  it('collapses to one INFO for a null MX, before anything else', () => {
    const rule = endpointRule(spec({ precheck: () => [] }));
    const states = rule.evaluate(nullMxObservation());
    assert.deepEqual(brief(states), [[Status.INFO, NULL_MX_NOT_PROBED, 'example.com']]);
    assert.match(states[0]!.message, /publishes a null MX/);
  });

  it('answers with the precheck when it has something to say, sorted', () => {
    const pre = [
      finding('smtp.test', { status: Status.INFO, code: 'smtp.test.b', subject: 'example.com', message: 'B.' }),
      finding('smtp.test', { status: Status.INFO, code: 'smtp.test.a', subject: 'example.com', message: 'A.' }),
    ];
    const states = endpointRule(spec({ precheck: () => pre })).evaluate(observation());
    assert.deepEqual(
      states.map((s) => s.code),
      ['smtp.test.a', 'smtp.test.b'],
    );
    assert.deepEqual(brief(endpointRule(spec({ precheck: () => null })).evaluate(observation())), [
      [Status.OK, 'smtp.test.ok', 'example.com'],
    ]);
  });

  it('is UNKNOWN without an endpoint, pointing at smtp.mx_present', () => {
    const states = endpointRule(spec()).evaluate(observation({ endpoints: [] }));
    assert.deepEqual(brief(states), [[Status.UNKNOWN, 'smtp.test.untested', 'example.com']]);
    assert.equal(
      states[0]!.message,
      'No endpoint to test, so the greeting host could not be checked (see smtp.mx_present).',
    );
  });

  it('is UNKNOWN when no endpoint got far enough, listing each with its reason', () => {
    const states = endpointRule(spec()).evaluate(
      observation({
        endpoints: [unreachableEndpoint('192.0.2.1'), endpoint({ address: '192.0.2.2', greeting: reply(421, 'Busy') })],
      }),
    );
    assert.deepEqual(brief(states), [[Status.UNKNOWN, 'smtp.test.untested', 'example.com']]);
    assert.equal(
      states[0]!.message,
      'No endpoint got far enough to check the greeting host: 192.0.2.1:25 unreachable; 192.0.2.2:25 no 220 greeting.',
    );
    assert.deepEqual(states[0]!.meta, {
      untested: { '192.0.2.1:25': 'unreachable', '192.0.2.2:25': 'no 220 greeting' },
    });
  });

  it('gives the findings on the judged endpoints, or the OK state with its message and meta', () => {
    const nameless = endpoint({ address: '192.0.2.2', greeting_host: null });
    const flagged = endpointRule(spec()).evaluate(observation({ endpoints: [endpoint(), nameless] }));
    assert.deepEqual(brief(flagged), [[Status.WARN, 'smtp.test.nameless', '192.0.2.2:25']]);
    const ok = endpointRule(spec({ okMeta: (p) => ({ judged: p.judged.length }) })).evaluate(
      observation({ endpoints: [endpoint(), unreachableEndpoint('192.0.2.3')] }),
    );
    assert.deepEqual(brief(ok), [[Status.OK, 'smtp.test.ok', 'example.com']]);
    assert.equal(ok[0]!.message, '192.0.2.10:25 names a host (1 other endpoint could not be tested: unreachable).');
    assert.deepEqual(ok[0]!.meta, { judged: 1 });
  });

  it('carries the name, the description and the probes it declares', () => {
    const rule = endpointRule(spec({ probes: ['postmaster'] }));
    assert.deepEqual([rule.name, rule.description, rule.probes], ['smtp.test', 'A rule for the test.', ['postmaster']]);
    assert.equal('probes' in endpointRule(spec()), false);
  });
});
