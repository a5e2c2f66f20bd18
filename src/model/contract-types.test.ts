/**
 * The types derived from the schemas are as precise as hand-written ones:
 * literal unions stay unions, optional fields stay exactly optional. These
 * are checked by the compiler (npm run typecheck); the runtime assertions
 * only keep the values used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckState, StatusValue } from './status.js';
import type { EndpointProbe, Observation, Phase, Reply } from './observation.js';
import type { CollectRequest, DefinitionRequest, EvaluateRequest } from './protocol.js';
import { OBSERVATION_KEY } from './protocol.js';

test('status values are the six literals 0..5', () => {
  const ok: StatusValue[] = [0, 1, 2, 3, 4, 5];
  // @ts-expect-error 6 is not a status
  const six: StatusValue = 6;
  assert.deepEqual([...ok, six].length, 7);
});

test('a CheckState needs a status and a message, and its optional fields are not undefined-able', () => {
  const state: CheckState = { status: 3, message: 'Greeting is slow.' };
  // @ts-expect-error message is required
  const noMessage: CheckState = { status: 1 };
  // @ts-expect-error exactOptionalPropertyTypes: absent, not undefined
  const undefinedRule: CheckState = { status: 1, message: 'x', rule: undefined };
  assert.ok(state && noMessage && undefinedRule);
});

test('observation fields keep their literal unions and nullability', () => {
  const family: EndpointProbe['family'][] = [4, 6];
  // @ts-expect-error family is 4 or 6
  const five: EndpointProbe['family'] = 5;
  // @ts-expect-error "data" is not a phase
  const phase: Phase = 'data';
  const reply: Reply = { code: 250, enhanced: null, lines: ['250 OK'] };
  const version: Observation['version'] = 3;
  // @ts-expect-error the version is the literal 3 (version 2 had no caps, no MX targets left unprobed, no address_family, `given` MX sets or skipped endpoints)
  const one: Observation['version'] = 2;
  assert.ok(family && five && phase && reply && version && one);
});

test('request bodies are typed: /evaluate finds our observation under its key', () => {
  const pick = (body: EvaluateRequest): Observation => body.observations[OBSERVATION_KEY];
  const collect: CollectRequest = { options: { domain: 'example.com', timeout: '8' } };
  const definition: DefinitionRequest = { options: null };
  assert.equal(typeof pick, 'function');
  assert.ok(collect && definition);
});
