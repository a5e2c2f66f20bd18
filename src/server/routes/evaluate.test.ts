/**
 * POST /evaluate in-process, over an observation the service collected from
 * a loopback peer: states for every enabled rule, disabled rules left out, a
 * missing or malformed observation refused with 400 naming the field.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { collectedFixture, type CollectedFixture } from '../../../test/server/collected.js';
import { postJson } from '../../../test/server/service-harness.js';

let fixture: CollectedFixture;

before(async () => {
  fixture = await collectedFixture('127.0.0.194', 'evaluate.test');
});
after(async () => {
  await fixture?.close();
});

const post = (payload: unknown) => postJson(fixture.app, '/evaluate', payload);

test('turns the observation into states, each naming its rule', async () => {
  const res = await post({ observations: { smtp: fixture.data }, options: {} });
  assert.equal(res.statusCode, 200, res.body);
  const states = res.json().states as { rule: string; status: number }[];
  assert.equal(new Set(states.map((s) => s.rule)).size, 16, 'every rule yields a state');
  assert.ok(states.every((s) => Number.isInteger(s.status) && s.status >= 0 && s.status <= 5));
});

test('leaves out disabled rules', async () => {
  const res = await post({ observations: { smtp: fixture.data }, enabledRules: { 'smtp.open_relay': false } });
  const rules = new Set(res.json().states.map((s: { rule: string }) => s.rule));
  assert.equal(rules.has('smtp.open_relay'), false);
  assert.equal(rules.size, 15);
});

test('ignores observations stored under other keys', async () => {
  const res = await post({ observations: { smtp: fixture.data, tls: { anything: true } } });
  assert.equal(res.statusCode, 200, res.body);
});

test('refuses a missing or malformed observation with 400', async () => {
  const missing = await post({ observations: { other: {} } });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.json().error, /observations has no "smtp" entry \(got "other"\)/);
  const malformed = await post({ observations: { smtp: { version: 1, domain: 'x' } } });
  assert.equal(malformed.statusCode, 400);
  assert.match(malformed.json().error, /observations.smtp is not a checker-smtp observation/);
  const none = await post({});
  assert.equal(none.statusCode, 400);
  assert.match(none.json().error, /must have required property 'observations'/);
});

test('names the broken field of an observation, deep down', async () => {
  const broken = structuredClone(fixture.data) as unknown as { endpoints: { greeting: { code: unknown } }[] };
  broken.endpoints[0]!.greeting.code = 'two-twenty';
  const res = await post({ observations: { smtp: broken } });
  assert.equal(res.statusCode, 400);
  assert.equal(
    res.json().error,
    'Invalid request: observations.smtp is not a checker-smtp observation: /endpoints/0/greeting/code: must be integer, got "two-twenty".',
  );
  const extra = await post({ observations: { smtp: { ...fixture.data, verdict: 'OK' } } });
  assert.equal(extra.statusCode, 400);
  assert.match(
    extra.json().error,
    /observations.smtp is not a checker-smtp observation: \/: must NOT have additional properties "verdict"/,
  );
});

test('refuses enabledRules and related of the wrong shape', async () => {
  const rules = await post({ observations: { smtp: fixture.data }, enabledRules: { 'smtp.open_relay': 'no' } });
  assert.equal(rules.statusCode, 400);
  assert.match(rules.json().error, /body\/enabledRules\/smtp.open_relay must be boolean, got "no"/);
  const related = await post({ observations: { smtp: fixture.data }, related: { tls_probes: {} } });
  assert.equal(related.statusCode, 400);
  assert.match(related.json().error, /body\/related\/tls_probes must be array/);
});
