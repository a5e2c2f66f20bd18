import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnectionGate } from './connection-gate.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('createConnectionGate() runs one probe at a time per address and queues the rest in order', async () => {
  const gate = createConnectionGate({ perAddress: 1, maxOpen: 10 });
  const order: string[] = [];
  const first = deferred();
  const a1 = gate.run('192.0.2.1', async () => {
    order.push('a1 start');
    await first.promise;
    order.push('a1 end');
  });
  const a2 = gate.run('192.0.2.1', async () => {
    order.push('a2 start');
  });
  const b1 = gate.run('192.0.2.2', async () => {
    order.push('b1 start');
  });
  await b1;
  assert.deepEqual(order, ['a1 start', 'b1 start']);
  assert.equal(gate.stats().queued, 1);
  first.resolve();
  await Promise.all([a1, a2]);
  assert.deepEqual(order, ['a1 start', 'b1 start', 'a1 end', 'a2 start']);
  assert.equal(gate.stats().peakPerAddress, 1);
});

test('createConnectionGate() bounds connections across addresses', async () => {
  const gate = createConnectionGate({ perAddress: 1, maxOpen: 2 });
  const release = deferred();
  let running = 0;
  let peak = 0;
  const runs = ['a', 'b', 'c', 'd'].map((address) =>
    gate.run(address, async () => {
      running++;
      peak = Math.max(peak, running);
      await release.promise;
      running--;
    }),
  );
  await new Promise((r) => setImmediate(r));
  assert.equal(gate.stats().open, 2);
  release.resolve();
  await Promise.all(runs);
  assert.equal(peak, 2);
  assert.equal(gate.stats().peakOpen, 2);
});

test('createConnectionGate() frees the slot when a probe throws and forgets idle addresses', async () => {
  const gate = createConnectionGate();
  await assert.rejects(
    gate.run('192.0.2.9', async () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.equal(await gate.run('192.0.2.9', async () => 'second'), 'second');
  assert.deepEqual(
    { open: gate.stats().open, queued: gate.stats().queued, addresses: gate.stats().addresses },
    { open: 0, queued: 0, addresses: 0 },
  );
});

test('createConnectionGate() refuses bounds that are not positive integers', () => {
  assert.throws(() => createConnectionGate({ perAddress: 0 }), /perAddress must be a positive integer, got 0/);
  assert.throws(() => createConnectionGate({ maxOpen: 1.5 }), /maxOpen must be a positive integer/);
});
