import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSourceAddressesUsable } from './source-address-check.js';

test('assertSourceAddressesUsable() accepts loopback addresses this machine has', async () => {
  await assertSourceAddressesUsable({ 4: '127.0.0.77', 6: '::1' });
  await assertSourceAddressesUsable({});
});

test('assertSourceAddressesUsable() names an address this machine does not have', async () => {
  // TEST-NET-1 (RFC 5737): never configured on a machine; nothing is sent, the kernel refuses the bind.
  await assert.rejects(
    assertSourceAddressesUsable({ 4: '192.0.2.77' }),
    /^CheckerError: Cannot send from source address "192\.0\.2\.77": it is not an address of this machine \(EADDRNOTAVAIL\)\.$/,
  );
});
