import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import {
  DEFAULT_EGRESS_CANARIES,
  parseEgressCanaries,
  parsePort,
  parseResolver,
  resolverServerString,
} from './settings.js';
import { CheckerError } from '../model/errors.js';

test('parseResolver() reads IPv4 and IPv6, with and without a port', () => {
  assert.deepEqual(parseResolver('127.0.0.1'), { host: '127.0.0.1', port: 53 });
  assert.deepEqual(parseResolver('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353 });
  assert.deepEqual(parseResolver('::1'), { host: '::1', port: 53 });
  assert.deepEqual(parseResolver('[::1]:5353'), { host: '::1', port: 5353 });
  assert.equal(resolverServerString(parseResolver('[::1]:5353')), '[::1]:5353');
});

test('parseResolver() refuses names and bad ports', () => {
  assert.throws(() => parseResolver('dns.example'), CheckerError);
  assert.throws(() => parseResolver('127.0.0.1:99999'), /between 1 and 65535/);
  assert.throws(() => parsePort('25; rm'), /between 1 and 65535/);
});

test('parseEgressCanaries() reads "none", names, addresses and ports, port 25 by default', () => {
  assert.deepEqual(parseEgressCanaries('none'), []);
  assert.deepEqual(parseEgressCanaries(' NONE '), []);
  assert.deepEqual(parseEgressCanaries('mx.example.net'), [{ host: 'mx.example.net', port: 25 }]);
  assert.deepEqual(parseEgressCanaries('MX.Example.NET.:2525'), [{ host: 'mx.example.net', port: 2525 }]);
  assert.deepEqual(parseEgressCanaries('127.0.0.1:2525, [::1]:25,::1'), [
    { host: '127.0.0.1', port: 2525 },
    { host: '::1', port: 25 },
    { host: '::1', port: 25 },
  ]);
});

test('parseEgressCanaries() refuses empty items, bad ports and bad names, quoting them', () => {
  assert.throws(() => parseEgressCanaries(''), /Egress canary "" is empty/);
  assert.throws(() => parseEgressCanaries('a.example,,b.example'), /has an empty item/);
  assert.throws(
    () => parseEgressCanaries('mx.example.net:0'),
    /Egress canary port must be a number between 1 and 65535, got "0"/,
  );
  assert.throws(() => parseEgressCanaries('mx example'), /Egress canary "mx example": the host contains a space/);
  assert.throws(() => parseEgressCanaries('[mx.example]:25'), /"mx\.example" is not an IPv6 address/);
});

test('the default egress canaries are host names on port 25, never addresses', () => {
  assert.ok(DEFAULT_EGRESS_CANARIES.length >= 2);
  for (const c of DEFAULT_EGRESS_CANARIES) {
    assert.equal(isIP(c.host), 0, `${c.host} is a name`);
    assert.equal(c.port, 25);
  }
});
