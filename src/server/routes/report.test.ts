/**
 * POST /report in-process, over an observation the service collected from a
 * loopback peer: metrics by default, the HTML document with Accept:
 * text/html, and states or data of the wrong shape refused with 400 naming
 * the field (never a 500).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { collectedFixture, type CollectedFixture } from '../../../test/server/collected.js';
import { postJson } from '../../../test/server/service-harness.js';

let fixture: CollectedFixture;

before(async () => {
  fixture = await collectedFixture('127.0.0.195', 'report.test');
});
after(async () => {
  await fixture?.close();
});

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  postJson(fixture.app, '/report', payload, headers);

test('answers metrics JSON by default', async () => {
  const res = await post({ key: 'smtp', data: fixture.data });
  assert.equal(res.statusCode, 200);
  const metrics = res.json() as { name: string; value: number; timestamp: string; labels?: Record<string, string> }[];
  const connect = metrics.find((m) => m.name === 'smtp_endpoint_connect_ms');
  assert.deepEqual(connect?.labels, { mx: `mx.${fixture.domain}`, address: fixture.host, family: 'ipv4' });
  assert.equal(metrics.find((m) => m.name === 'smtp_endpoints_starttls')?.value, 1);
  assert.ok(metrics.every((m) => m.timestamp === fixture.data.collected_at));
});

test('answers a self-contained HTML document with Accept: text/html, using the states given', async () => {
  const states = [
    {
      status: 4,
      rule: 'smtp.open_relay',
      code: 'smtp.open_relay',
      subject: `${fixture.host}:${fixture.port}`,
      message: 'Relays for outsiders (host-computed state).',
    },
  ];
  const res = await post({ key: 'smtp', data: fixture.data, states }, { accept: 'text/html' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
  assert.match(res.body, /^<!doctype html>/i);
  assert.match(res.body, /host-computed state/);
  assert.doesNotMatch(res.body, /<script|<link|src="http/i);
});

test('refuses a report without data', async () => {
  const res = await post({ key: 'smtp' });
  assert.equal(res.statusCode, 400);
  assert.match(res.json().error, /required property 'data'/);
});

test('refuses states of the wrong shape with 400 naming the field, for metrics and HTML alike', async () => {
  for (const accept of ['application/json', 'text/html']) {
    const empty = await post({ key: 'smtp', data: fixture.data, states: [{}] }, { accept });
    assert.equal(empty.statusCode, 400, empty.body);
    assert.equal(empty.json().error, "Invalid request: body/states/0 must have required property 'status'.");
    const numeric = await post({ key: 'smtp', data: fixture.data, states: [{ status: 3, message: 123 }] }, { accept });
    assert.equal(numeric.statusCode, 400, numeric.body);
    assert.equal(numeric.json().error, 'Invalid request: body/states/0/message must be string, got 123.');
  }
  const status = await post({ data: fixture.data, states: [{ status: 9, message: 'x' }] });
  assert.equal(status.statusCode, 400);
  assert.match(
    status.json().error,
    /body\/states\/0\/status must be equal to one of the allowed values \(0, 1, 2, 3, 4, 5\), got 9/,
  );
});

test('refuses data that is not an observation, naming the broken field', async () => {
  const broken = structuredClone(fixture.data) as unknown as { endpoints: { starttls: { ok: unknown } }[] };
  broken.endpoints[0]!.starttls.ok = 'yes';
  const res = await post({ key: 'smtp', data: broken });
  assert.equal(res.statusCode, 400);
  assert.equal(
    res.json().error,
    'Invalid request: data is not a checker-smtp observation: /endpoints/0/starttls/ok: must be boolean, got "yes".',
  );
});
