import { test } from 'node:test';
import assert from 'node:assert/strict';
import { absoluteMxName, parseMxService } from './mx-service.js';

const mx = (Mx: string, Preference: unknown = 10) => ({
  Hdr: { Name: '', Rrtype: 15, Class: 1, Ttl: 3600, Rdlength: 0 },
  Preference,
  Mx,
});
const service = (records: unknown[] | undefined, extra: Record<string, unknown> = {}) => ({
  _svctype: 'svcs.MXs',
  _id: 'abc',
  _domain: '',
  _ttl: 3600,
  Service: records === undefined ? {} : { mx: records },
  ...extra,
});

test('parseMxService() joins relative names to the zone and keeps absolute ones', () => {
  const parsed = parseMxService(
    service([mx('mx1'), mx('mx2.example.com', 20), mx('mx3.example.com.', 30), mx('aspmx.l.google.com.', 40)]),
    'example.com',
  );
  assert.deepEqual(parsed, {
    zone: 'example.com',
    records: [
      { preference: 10, exchange: 'mx1.example.com' },
      { preference: 20, exchange: 'mx2.example.com' },
      { preference: 30, exchange: 'mx3.example.com' },
      { preference: 40, exchange: 'aspmx.l.google.com' },
    ],
  });
});

test('parseMxService() reads "@" and the empty name as the zone itself, and "." as a null MX', () => {
  assert.deepEqual(parseMxService(service([mx('@'), mx('', 20)]), 'example.com')?.records, [
    { preference: 10, exchange: 'example.com' },
    { preference: 20, exchange: 'example.com' },
  ]);
  assert.deepEqual(parseMxService(service([mx('.', 0)]), 'example.com')?.records, [{ preference: 0, exchange: '' }]);
});

test('parseMxService() puts the service subdomain before the domain to make the zone', () => {
  const parsed = parseMxService(service([mx('mx')], { _domain: 'mail' }), 'example.com');
  assert.deepEqual(parsed, {
    zone: 'mail.example.com',
    records: [{ preference: 10, exchange: 'mx.mail.example.com' }],
  });
  assert.equal(parseMxService(service([], { _domain: 'mail.example.com.' }), 'example.com')?.zone, 'mail.example.com');
  assert.equal(parseMxService(service([], { _domain: '@' }), 'example.com')?.zone, 'example.com');
});

test('parseMxService() accepts the payload as a JSON string and string-typed preferences', () => {
  const parsed = parseMxService(JSON.stringify(service([mx('mx1', '5')])), 'example.com');
  assert.deepEqual(parsed?.records, [{ preference: 5, exchange: 'mx1.example.com' }]);
});

test('parseMxService() gives no records when the service carries none, and null when there is no service', () => {
  assert.deepEqual(parseMxService(service(undefined), 'example.com'), { zone: 'example.com', records: [] });
  assert.deepEqual(parseMxService(service([]), 'example.com'), { zone: 'example.com', records: [] });
  assert.equal(parseMxService(undefined, 'example.com'), null);
  assert.equal(parseMxService('', 'example.com'), null);
});

test('parseMxService() refuses malformed payloads with a message naming what is wrong', () => {
  const cases: [unknown, RegExp][] = [
    ['{not json', /not valid JSON/],
    [[1, 2], /must be an object .*got a list/],
    [service([mx('mx1')], { _svctype: 'svcs.A' }), /type "svcs.A"; this checker handles svcs.MXs/],
    [{ Service: { mx: 'mx1' } }, /Service.mx must be a list/],
    [{ Service: { mx: [42] } }, /MX record 1 must be an object/],
    [{ Service: { mx: [{ Preference: 10 }] } }, /MX record 1 needs an Mx target/],
    [{ Service: { mx: [mx('mx1', -1)] } }, /Preference "-1"; expected an integer between 0 and 65535/],
    [{ Service: { mx: [mx('mx1', 'ten')] } }, /Preference "ten"/],
    [{ Service: { mx: [mx('bad_name')] } }, /MX target "bad_name.example.com" that has an invalid label "bad_name"/],
    [{ Service: { mx: [mx('mx1\r\nRCPT TO:<x@y>')] } }, /contains a carriage return/],
    [{ Service: { mx: [{ ...mx('mx1'), Hdr: { Rrtype: 1 } }] } }, /Rrtype "1"; an MX record is type 15/],
    [{ _domain: 7 }, /_domain must be a string/],
    [{ Service: { mx: Array.from({ length: 40 }, () => mx('mx1')) } }, /holds 40 MX records; at most 32/],
  ];
  for (const [payload, message] of cases) {
    assert.throws(
      () => parseMxService(payload, 'example.com'),
      (err: Error & { option?: string }) => {
        assert.equal(err.option, 'service');
        assert.match(err.message, message);
        assert.match(err.message, /^Option service /);
        return true;
      },
    );
  }
});

test('absoluteMxName() passes address literals through for DNS posture to flag', () => {
  assert.equal(absoluteMxName('192.0.2.1', 'example.com'), '192.0.2.1');
  assert.equal(absoluteMxName('MX1.Example.COM', 'example.com'), 'mx1.example.com');
});
