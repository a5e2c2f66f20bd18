/**
 * GET and POST /definition in-process: what the checker is, precheck of the
 * options (bools as strings, invalid options), eligibility from the MX
 * service, and the bodies PROTOCOL.md allows (empty, whatever the content
 * type; options null).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { mxService, postJson, startBareService } from '../../../test/server/service-harness.js';

const DOMAIN = 'svc.test';

let app: FastifyInstance;

before(async () => {
  app = await startBareService();
});
after(async () => {
  await app?.close();
});

const post = (payload: unknown) => postJson(app, '/definition', payload);

describe('GET /definition', () => {
  test('describes the checker: id, version, availability, options in the scopes a host stores, 16 rules, interval in ns', async () => {
    const res = await app.inject({ method: 'GET', url: '/definition' });
    assert.equal(res.statusCode, 200);
    const def = res.json();
    assert.equal(def.id, 'smtp');
    assert.equal(def.version, '0.1.0');
    assert.deepEqual(def.availability, { applyToService: true, limitToServices: ['svcs.MXs'] });
    // Stored scopes only (the host never stores run options): ids per scope, in order.
    const scopes = Object.fromEntries(
      Object.entries(def.options as Record<string, { id: string }[]>).map(([scope, fields]) => [
        scope,
        fields.map((f) => f.id),
      ]),
    );
    assert.deepEqual(scopes, {
      adminOpts: ['helo_name', 'test_mail_from'],
      userOpts: ['timeout', 'test_null_sender', 'test_postmaster', 'test_open_relay', 'test_probe_address'],
      domainOpts: ['domain'],
      serviceOpts: ['service'],
    });
    const all = Object.values(def.options as Record<string, Record<string, unknown>[]>).flat();
    const opts = Object.fromEntries(all.map((o) => [o['id'], o]));
    assert.equal(opts.domain.autoFill, 'domain_name');
    assert.equal(opts.service.autoFill, 'service');
    assert.equal(opts.service.type, 'object', 'the host fills service with an object');
    assert.equal(opts.timeout.default, 12);
    assert.equal(opts.helo_name.default, 'mx-checker.happydomain.org');
    assert.equal(opts.test_probe_address.default, 'postmaster@example.com');
    for (const o of all) assert.ok(o['label'] && o['description'], `option ${o['id']} has a label and a description`);
    assert.equal(def.rules.length, 16);
    assert.ok(
      def.rules.every(
        (r: { name: string; description: string }) => r.name.startsWith('smtp.') && r.description.length > 10,
      ),
    );
    assert.deepEqual(def.interval, { min: 300_000_000_000, max: 604_800_000_000_000, default: 86_400_000_000_000 });
    assert.equal(def.has_html_report, true);
    assert.equal(def.has_metrics, true);
    assert.deepEqual(def.observationKeys, ['smtp']);
  });
});

describe('POST /definition', () => {
  test('accepts an empty body and reports no precheck failure for default options', async () => {
    const res = await post('');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().precheck_failures, {});
    assert.equal(res.json().id, 'smtp');
    assert.equal(res.json().eligible, undefined, 'no service payload: eligibility unknown');
  });

  test('accepts an empty body whatever its content type, or none, and "options": null', async () => {
    const bodies: [Record<string, string>, string | undefined][] = [
      [{}, undefined],
      [{}, ''],
      [{ 'content-type': 'text/plain' }, ''],
      [{ 'content-type': 'application/xml' }, ''],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, ''],
      [{ 'content-type': 'application/json' }, '{"options": null}'],
    ];
    for (const [headers, payload] of bodies) {
      const res = await app.inject({
        method: 'POST',
        url: '/definition',
        headers,
        ...(payload !== undefined ? { payload } : {}),
      });
      assert.equal(res.statusCode, 200, `${JSON.stringify(headers)} ${JSON.stringify(payload)} → ${res.body}`);
      assert.deepEqual(res.json().precheck_failures, {});
    }
  });

  test('names the rules a switched-off probe leaves without data, bools given as strings', async () => {
    const res = await post({ options: { domain: DOMAIN, test_open_relay: 'false', test_postmaster: 0 } });
    assert.deepEqual(Object.keys(res.json().precheck_failures).sort(), ['smtp.open_relay', 'smtp.postmaster']);
    assert.match(res.json().precheck_failures['smtp.open_relay'], /Option test_open_relay is off/);
  });

  test('reports eligibility from the MX service: records, none, or a null MX', async () => {
    const eligible = (await post({ options: { domain: 'zone.test', service: mxService([[10, 'mx1']]) } })).json();
    assert.equal(eligible.eligible, true);
    const empty = (await post({ options: { domain: 'zone.test', service: mxService([]) } })).json();
    assert.equal(empty.eligible, false);
    assert.match(empty.eligibility_reason, /holds no MX record/);
    const nullMx = (await post({ options: { domain: 'zone.test', service: mxService([[0, '.']]) } })).json();
    assert.equal(nullMx.eligible, false);
    assert.match(nullMx.eligibility_reason, /null MX \(RFC 7505\)/);
  });

  test('turns invalid options into precheck failures for every rule', async () => {
    const res = (await post({ options: { domain: DOMAIN, timeout: 'soon' } })).json();
    assert.equal(Object.keys(res.precheck_failures).length, 16);
    assert.match(res.precheck_failures['smtp.mx_present'], /Option timeout must be a number, got "soon"/);
  });

  test('refuses options that are not an object with 400 naming the field', async () => {
    const res = await post({ options: ['domain'] });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'Invalid request: body/options must be object or null.');
  });
});
