import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePort, parseResolver, resolverServerString } from './settings.js';
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
