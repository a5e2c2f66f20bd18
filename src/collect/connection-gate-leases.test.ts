/**
 * The connection gate's lease hook (AddressLeases): what a fleet plugs in
 * to share the per-address bound across processes. Here two gates (two
 * "workers") share one lease table held in this process; the Redis table
 * is tested in src/fleet/address-leases.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnectionGate, type AddressLease, type AddressLeases } from './connection-gate.js';

/** A lease table in memory: one holder per address, FIFO waiters. */
function sharedLeases(): AddressLeases & { held: Map<string, number>; acquired: string[] } {
  const held = new Map<string, number>();
  const waiters = new Map<string, (() => void)[]>();
  const acquired: string[] = [];
  return {
    held,
    acquired,
    async acquire(address: string): Promise<AddressLease> {
      while ((held.get(address) ?? 0) >= 1)
        await new Promise<void>((resolve) => waiters.set(address, [...(waiters.get(address) ?? []), resolve]));
      held.set(address, 1);
      acquired.push(address);
      return {
        async release() {
          held.delete(address);
          const next = waiters.get(address)?.shift();
          next?.();
        },
      };
    },
  };
}

test('two gates sharing leases never run two connections to one address at once', async () => {
  const leases = sharedLeases();
  const gates = [createConnectionGate({ perAddress: 1, leases }), createConnectionGate({ perAddress: 1, leases })];
  let open = 0;
  let peak = 0;
  const runs = Array.from({ length: 8 }, (_, i) =>
    gates[i % 2]!.run('192.0.2.1', async () => {
      open++;
      peak = Math.max(peak, open);
      await new Promise((r) => setTimeout(r, 5));
      open--;
    }),
  );
  await Promise.all(runs);
  assert.equal(peak, 1);
  assert.equal(leases.acquired.length, 8);
  assert.equal(leases.held.size, 0, 'every lease given back');
});

test('without the hook, the same two gates each allow their own connection', async () => {
  const gates = [createConnectionGate({ perAddress: 1 }), createConnectionGate({ perAddress: 1 })];
  let open = 0;
  let peak = 0;
  await Promise.all(
    gates.map((g) =>
      g.run('192.0.2.1', async () => {
        open++;
        peak = Math.max(peak, open);
        await new Promise((r) => setTimeout(r, 5));
        open--;
      }),
    ),
  );
  assert.equal(peak, 2);
});

test('a lease is given back when the probe throws, and a lease that cannot be had fails the run, freeing the slot', async () => {
  const leases = sharedLeases();
  const gate = createConnectionGate({ perAddress: 1, leases });
  await assert.rejects(
    gate.run('192.0.2.2', async () => Promise.reject(new Error('probe failed'))),
    /probe failed/,
  );
  assert.equal(leases.held.size, 0);

  let calls = 0;
  const failing = createConnectionGate({
    perAddress: 1,
    leases: {
      acquire: async () => {
        calls++;
        if (calls === 1) throw new Error('Redis is gone');
        return { release: async () => undefined };
      },
    },
  });
  await assert.rejects(
    failing.run('192.0.2.3', async () => 'never'),
    /Redis is gone/,
  );
  assert.equal(await failing.run('192.0.2.3', async () => 'next'), 'next', 'the address slot was freed');
  assert.equal(failing.stats().addresses, 0);
});
