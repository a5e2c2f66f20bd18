import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSourceAddresses } from './source-address.js';

test('parseSourceAddresses() keeps one address per family, from repeated flags or a list', () => {
  assert.deepEqual(parseSourceAddresses([]), {});
  assert.deepEqual(parseSourceAddresses(['127.0.0.77']), { 4: '127.0.0.77' });
  assert.deepEqual(parseSourceAddresses(['127.0.0.77', '[::1]']), { 4: '127.0.0.77', 6: '::1' });
  assert.deepEqual(parseSourceAddresses([' ::1 , 192.0.2.7 ']), { 4: '192.0.2.7', 6: '::1' });
});

test('parseSourceAddresses() refuses names, the unspecified address and two of one family, quoting the value', () => {
  assert.throws(
    () => parseSourceAddresses(['mx.example']),
    /^CheckerError: Source address "mx\.example" is not an IP address\.$/,
  );
  assert.throws(() => parseSourceAddresses(['0.0.0.0']), /"0\.0\.0\.0" is the unspecified address/);
  assert.throws(() => parseSourceAddresses(['::']), /"::" is the unspecified address/);
  assert.throws(
    () => parseSourceAddresses(['127.0.0.2,127.0.0.3']),
    /Two IPv4 source addresses \("127\.0\.0\.2" and "127\.0\.0\.3"\)/,
  );
  assert.throws(() => parseSourceAddresses(['']), /"" is not an IP address/);
});
