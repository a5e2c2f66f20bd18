/**
 * Politeness and fair sharing across requests: a global bound on open SMTP
 * connections and a per-address bound, shared by every collect of a process
 * (the service, a bulk run), so a shared MX never sees more than
 * `perAddress` connections from us at once, whoever asked.
 *
 * Each caller runs under an owner (one check: collect() uses one per call).
 * When a slot frees, the waiting owner that holds the fewest connections gets
 * it (ties: who waited longest), not simply the oldest waiter; and an owner
 * that already holds `guaranteed` connections may open more only while the
 * reserve (the last quarter of the slots) stays free. So checks that fill the
 * gate with tarpits cannot make a check that arrives later wait for them:
 * its first connections go through at once. A wait may be bounded
 * (`maxWaitMs`) and cut (`signal`); both reject with a GateWaitError and
 * never hold a slot.
 */
import { GATE_GUARANTEED_PER_OWNER, GATE_RESERVE_FRACTION } from '../model/limits.js';
import { MAX_CONNECTIONS_PER_ADDRESS, MAX_OPEN_CONNECTIONS } from '../model/limits.js';

export interface ConnectionGateOptions {
  /** Connections open at once across the process. */
  maxOpen?: number;
  /** Connections open at once to one address. */
  perAddress?: number;
  /**
   * Holds on addresses shared beyond this process (workers of a fleet): taken once this process's own
   * slot is granted, released when the connection is over. Without it the bound is this process's alone.
   */
  leases?: AddressLeases;
}

/** One hold on a destination address, from an AddressLeases. */
export interface AddressLease {
  /** Give it back; must not throw (a lease that cannot be given back expires on its own). */
  release(): Promise<void>;
}

/**
 * The gate's hook for politeness across processes: `acquire` resolves once this process may open one
 * more connection to `address` (a fleet-wide semaphore, e.g. in Redis), and rejects when the backend fails.
 */
export interface AddressLeases {
  acquire(address: string): Promise<AddressLease>;
}

export interface ConnectionGateStats {
  /** Connections running now. */
  open: number;
  /** Probes waiting for a slot (per address or global). */
  queued: number;
  /** Most connections ever open at once to a single address. */
  peakPerAddress: number;
  /** Most connections ever open at once. */
  peakOpen: number;
  /** Addresses with a probe running or queued. */
  addresses: number;
  /** Owners (checks) with a probe running or queued. */
  owners: number;
}

export interface GateRunOptions {
  /** Whose connection this is: fairness is between owners. Calls without one share one owner. */
  owner?: object;
  /** Longest wait in line, in milliseconds; then the call rejects with GateWaitError `timeout`. */
  maxWaitMs?: number;
  /** Leaves the line when it fires (GateWaitError `cancelled`); a run already started is not interrupted. */
  signal?: AbortSignal;
}

/** A wait in the gate's line that ended without a slot. */
export class GateWaitError extends Error {
  constructor(
    readonly reason: 'timeout' | 'cancelled',
    readonly waitedMs: number,
  ) {
    super(
      reason === 'timeout'
        ? `waited ${(waitedMs / 1000).toFixed(1)} s for a connection slot, the longest this checker allows`
        : 'left the connection line: the check was cut',
    );
    this.name = 'GateWaitError';
  }
}

export interface ConnectionGate {
  readonly maxOpen: number;
  readonly perAddress: number;
  /** Run `fn` holding one slot for `address` and one global slot; waits in line for both. */
  run<T>(address: string, fn: () => Promise<T>, options?: GateRunOptions): Promise<T>;
  stats(): ConnectionGateStats;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}.`);
  return value;
}

interface Waiter {
  owner: object;
  address: string;
  grant: () => void;
}

/** The owner of calls that name none: they share one place in line, first come, first served. */
const SHARED_OWNER = {};

function bump<K>(map: Map<K, number>, key: K, by: number): number {
  const next = (map.get(key) ?? 0) + by;
  if (next === 0) map.delete(key);
  else map.set(key, next);
  return next;
}

export function createConnectionGate(options: ConnectionGateOptions = {}): ConnectionGate {
  const maxOpen = positiveInteger('maxOpen', options.maxOpen ?? MAX_OPEN_CONNECTIONS);
  const perAddress = positiveInteger('perAddress', options.perAddress ?? MAX_CONNECTIONS_PER_ADDRESS);
  const reserve = Math.floor(maxOpen * GATE_RESERVE_FRACTION);
  const leases = options.leases;
  let open = 0;
  const openByAddress = new Map<string, number>();
  const openByOwner = new Map<object, number>();
  const waiting: Waiter[] = [];
  let peakPerAddress = 0;
  let peakOpen = 0;

  function canStart(w: Waiter): boolean {
    if (open >= maxOpen || (openByAddress.get(w.address) ?? 0) >= perAddress) return false;
    return (openByOwner.get(w.owner) ?? 0) < GATE_GUARANTEED_PER_OWNER || open < maxOpen - reserve;
  }

  /** Hand free slots out: the eligible waiter whose owner holds fewest, then the longest waiting (arrival order). */
  function dispatch(): void {
    for (;;) {
      let best: Waiter | undefined;
      let bestHeld = Infinity;
      for (const w of waiting) {
        const held = openByOwner.get(w.owner) ?? 0;
        if (held < bestHeld && canStart(w)) {
          best = w;
          bestHeld = held;
        }
      }
      if (!best) return;
      waiting.splice(waiting.indexOf(best), 1);
      open++;
      peakOpen = Math.max(peakOpen, open);
      peakPerAddress = Math.max(peakPerAddress, bump(openByAddress, best.address, 1));
      bump(openByOwner, best.owner, 1);
      best.grant();
    }
  }

  function release(w: Waiter): void {
    open--;
    bump(openByAddress, w.address, -1);
    bump(openByOwner, w.owner, -1);
    dispatch();
  }

  return {
    maxOpen,
    perAddress,
    async run<T>(address: string, fn: () => Promise<T>, runOptions: GateRunOptions = {}): Promise<T> {
      const { signal, maxWaitMs } = runOptions;
      if (signal?.aborted) throw new GateWaitError('cancelled', 0);
      const enqueued = Date.now();
      let waiter!: Waiter;
      await new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const leave = (reason: 'timeout' | 'cancelled') => {
          const at = waiting.indexOf(waiter);
          if (at < 0) return;
          waiting.splice(at, 1);
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          reject(new GateWaitError(reason, Date.now() - enqueued));
        };
        const onAbort = () => leave('cancelled');
        waiter = {
          owner: runOptions.owner ?? SHARED_OWNER,
          address,
          grant: () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        waiting.push(waiter);
        if (maxWaitMs !== undefined && Number.isFinite(maxWaitMs)) {
          timer = setTimeout(() => leave('timeout'), Math.max(0, maxWaitMs));
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        dispatch();
      });
      // The fleet's lease once this process's slot is ours; a lease that cannot be had frees the slot.
      let lease: AddressLease | undefined;
      try {
        if (leases) lease = await leases.acquire(address);
        return await fn();
      } finally {
        await lease?.release();
        release(waiter);
      }
    },
    stats() {
      const addresses = new Set([...openByAddress.keys(), ...waiting.map((w) => w.address)]);
      const owners = new Set([...openByOwner.keys(), ...waiting.map((w) => w.owner)]);
      return { open, queued: waiting.length, peakPerAddress, peakOpen, addresses: addresses.size, owners: owners.size };
    },
  };
}
