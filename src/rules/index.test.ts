import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allUnreachableObservation,
  noMxObservation,
  nullMxObservation,
  observation,
} from '../../test/fixtures/observations.js';
import type { Observation } from '../model/observation.js';
import { Status } from '../model/status.js';
import { RULES, evaluate, probesToSkip, ruleDescriptions } from './index.js';
import type { Rule } from './rule.js';

const SPEC_ORDER = [
  'smtp.null_mx',
  'smtp.mx_present',
  'smtp.mx_sanity',
  'smtp.endpoint_reachable',
  'smtp.banner_sanity',
  'smtp.ehlo_supported',
  'smtp.starttls_offered',
  'smtp.starttls_handshake',
  'smtp.auth_posture',
  'smtp.reverse_dns',
  'smtp.null_sender',
  'smtp.postmaster',
  'smtp.open_relay',
  'smtp.extension_posture',
  'smtp.ipv6_reachable',
  'smtp.tls_quality',
];

const FIXTURES: [string, () => Observation][] = [
  ['healthy', observation],
  ['null MX', nullMxObservation],
  ['no MX', noMxObservation],
  ['all unreachable', allUnreachableObservation],
];

describe('evaluate()', () => {
  it('lists the rules in the SPEC table order', () => {
    assert.deepEqual(
      RULES.map((r) => r.name),
      SPEC_ORDER,
    );
    assert.deepEqual(
      ruleDescriptions().map((d) => d.name),
      SPEC_ORDER,
    );
    for (const d of ruleDescriptions()) assert.ok(d.description.length > 10, d.name);
  });

  for (const [label, build] of FIXTURES) {
    it(`gives every rule at least one state with rule set (${label})`, () => {
      const obs = build();
      const states = evaluate(obs);
      for (const name of SPEC_ORDER)
        assert.ok(
          states.some((s) => s.rule === name),
          `${name} missing`,
        );
      for (const s of states) {
        assert.ok(s.rule && SPEC_ORDER.includes(s.rule));
        // Sentence case; a sentence may open with the domain name, which stays lower-case.
        assert.ok(/^[A-Z0-9[]/.test(s.message) || s.message.startsWith(obs.domain), s.message);
        assert.ok(/[.)]$/.test(s.message), s.message);
        assert.notEqual(s.status, Status.ERROR, s.message);
      }
    });
  }

  it('is all OK for the healthy domain', () => {
    const states = evaluate(observation());
    assert.deepEqual(
      states.filter((s) => s.status !== Status.OK),
      [],
    );
    assert.equal(states.length, SPEC_ORDER.length);
  });

  it('collapses the endpoint rules to INFO for a null MX', () => {
    const states = evaluate(nullMxObservation());
    assert.deepEqual(
      states.map((s) => [s.rule, s.status]),
      SPEC_ORDER.map((r) => [r, r === 'smtp.mx_present' || r === 'smtp.mx_sanity' ? Status.OK : Status.INFO]),
    );
  });

  it('skips rules mapped to false', () => {
    const states = evaluate(observation(), {
      enabledRules: { 'smtp.open_relay': false, 'smtp.tls_quality': false, 'smtp.null_mx': true },
    });
    const rules = new Set(states.map((s) => s.rule));
    assert.ok(!rules.has('smtp.open_relay'));
    assert.ok(!rules.has('smtp.tls_quality'));
    assert.equal(rules.size, SPEC_ORDER.length - 2);
  });

  it('is deterministic', () => {
    for (const [, build] of FIXTURES) assert.deepEqual(evaluate(build()), evaluate(build()));
    const obs = allUnreachableObservation();
    const reversed = { ...obs, endpoints: [...obs.endpoints].reverse() };
    assert.deepEqual(
      evaluate(reversed).map((s) => [s.rule, s.code, s.subject]),
      evaluate(obs).map((s) => [s.rule, s.code, s.subject]),
    );
  });

  it('turns a rule crashing on a malformed observation into one ERROR state', () => {
    const broken = { ...observation(), endpoints: [null] } as unknown as Observation;
    const states = evaluate(broken);
    for (const name of SPEC_ORDER) assert.ok(states.some((s) => s.rule === name));
    assert.ok(states.some((s) => s.status === Status.ERROR && s.code === 'smtp.rule_error'));
  });
});

describe('probesToSkip()', () => {
  it('skips the probe of each transaction rule mapped to false', () => {
    assert.deepEqual(probesToSkip({ 'smtp.open_relay': false }), ['open_relay']);
    assert.deepEqual(probesToSkip({ 'smtp.open_relay': false, 'smtp.null_sender': false, 'smtp.postmaster': false }), [
      'null_sender',
      'postmaster',
      'open_relay',
    ]);
  });

  it('skips nothing without enabledRules, for rules mapped to true, or for rules that need no probe of their own', () => {
    assert.deepEqual(probesToSkip(undefined), []);
    assert.deepEqual(probesToSkip({}), []);
    assert.deepEqual(probesToSkip({ 'smtp.open_relay': true, 'smtp.null_sender': true }), []);
    assert.deepEqual(probesToSkip({ 'smtp.starttls_offered': false, 'smtp.tls_quality': false }), []);
  });

  it('ignores rule names this checker does not know', () => {
    assert.deepEqual(probesToSkip({ 'smtp.no_such_rule': false, open_relay: false }), []);
  });

  it('declares each transaction probe on the one rule that reads it', () => {
    assert.deepEqual(
      RULES.filter((r) => r.probes).map((r) => [r.name, r.probes]),
      [
        ['smtp.null_sender', ['null_sender']],
        ['smtp.postmaster', ['postmaster']],
        ['smtp.open_relay', ['open_relay']],
      ],
    );
  });

  it('keeps sending a probe another enabled rule still declares', () => {
    const rule = (name: string, probes: Rule['probes']): Rule => ({
      name,
      description: `${name} for the test.`,
      ...(probes ? { probes } : {}),
      evaluate: () => [],
    });
    const rules = [rule('a', ['postmaster']), rule('b', ['postmaster', 'open_relay']), rule('c', undefined)];
    assert.deepEqual(probesToSkip({ b: false }, rules), ['open_relay']);
    assert.deepEqual(probesToSkip({ a: false, b: false }, rules), ['postmaster', 'open_relay']);
    assert.deepEqual(probesToSkip({ a: false, c: false }, rules), []);
  });
});
