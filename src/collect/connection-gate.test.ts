import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnectionGate, GateWaitError } from './connection-gate.js';

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

test('createConnectionGate() hands a freed slot to the waiting owner that holds fewest, not to the oldest waiter', async () => {
  const gate = createConnectionGate({ maxOpen: 2, perAddress: 10 });
  const [a, b] = [{}, {}];
  const hold = deferred();
  const order: string[] = [];
  // Every probe on its own address: only the global bound (2) makes them wait.
  let host = 0;
  const run = (owner: object, name: string, wait?: Promise<void>) =>
    gate.run(
      `192.0.2.${++host}`,
      async () => {
        order.push(name);
        await wait;
      },
      { owner },
    );
  const a1 = run(a, 'a1', hold.promise);
  const a2 = run(a, 'a2');
  const a3 = run(a, 'a3');
  const b1 = run(b, 'b1');
  await a2; // a1 holds its slot; a2 ran in the other and freed it
  await Promise.all([a3, b1]);
  // When a2 left, a3 (owner a holds 1) and b1 (owner b holds 0) waited: b1, arrived later, went first.
  assert.deepEqual(order, ['a1', 'a2', 'b1', 'a3']);
  hold.resolve();
  await a1;
});

test('createConnectionGate() keeps the last quarter of the slots for owners holding fewer than 4', async () => {
  const gate = createConnectionGate({ maxOpen: 16, perAddress: 16 });
  const hold = deferred();
  const hog = {};
  const hogs = Array.from({ length: 16 }, () => gate.run('192.0.2.1', () => hold.promise, { owner: hog }));
  await new Promise((r) => setImmediate(r));
  assert.equal(gate.stats().open, 12, 'one owner stops at 16 - 4 (its first 4 guaranteed are within them)');
  assert.equal(gate.stats().queued, 4);
  const newcomer = await gate.run('192.0.2.2', async () => 'in at once', { owner: {} });
  assert.equal(newcomer, 'in at once');
  hold.resolve();
  await Promise.all(hogs);
  assert.equal(gate.stats().peakOpen, 13);
});

test('createConnectionGate() ends a wait past maxWaitMs with GateWaitError "timeout", holding no slot', async () => {
  const gate = createConnectionGate({ maxOpen: 1 });
  const hold = deferred();
  const busy = gate.run('192.0.2.1', () => hold.promise);
  const started = Date.now();
  await assert.rejects(
    gate.run('192.0.2.2', async () => assert.fail('never run'), { maxWaitMs: 50 }),
    (err: unknown) =>
      err instanceof GateWaitError &&
      err.reason === 'timeout' &&
      /waited 0\.\d s for a connection slot, the longest this checker allows/.test(err.message),
  );
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual({ open: gate.stats().open, queued: gate.stats().queued }, { open: 1, queued: 0 });
  hold.resolve();
  await busy;
  assert.equal(gate.stats().owners, 0);
});

test('createConnectionGate() lets a signal take a waiter out of line at once, and refuses an aborted one', async () => {
  const gate = createConnectionGate({ maxOpen: 1 });
  const hold = deferred();
  const busy = gate.run('192.0.2.1', () => hold.promise);
  const controller = new AbortController();
  const waiting = gate.run('192.0.2.2', async () => assert.fail('never run'), { signal: controller.signal });
  controller.abort();
  await assert.rejects(waiting, (err: unknown) => err instanceof GateWaitError && err.reason === 'cancelled');
  await assert.rejects(
    gate.run('192.0.2.3', async () => 'no', { signal: controller.signal }),
    (err: unknown) => err instanceof GateWaitError && err.reason === 'cancelled',
  );
  assert.equal(gate.stats().queued, 0);
  hold.resolve();
  await busy;
});
