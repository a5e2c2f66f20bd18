/**
 * Politeness across requests: a global bound on open SMTP connections and a
 * per-address bound, both FIFO-queued. One gate is shared by every collect of
 * a process (the service, a bulk run), so a shared MX never sees more than
 * `perAddress` connections from us at once, whoever asked.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { MAX_CONNECTIONS_PER_ADDRESS, MAX_OPEN_CONNECTIONS } from '../model/limits.js';

export interface ConnectionGateOptions {
  /** Connections open at once across the process. */
  maxOpen?: number;
  /** Connections open at once to one address. */
  perAddress?: number;
  /**
   * Holds on addresses shared beyond this process (workers of a fleet): taken after this process's own
   * address slot, released when the connection is over. Without it the bound is this process's alone.
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
}

export interface ConnectionGate {
  readonly maxOpen: number;
  readonly perAddress: number;
  /** Run `fn` holding one slot for `address` and one global slot; waits in line for both. */
  run<T>(address: string, fn: () => Promise<T>): Promise<T>;
  stats(): ConnectionGateStats;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}.`);
  return value;
}

export function createConnectionGate(options: ConnectionGateOptions = {}): ConnectionGate {
  const maxOpen = positiveInteger('maxOpen', options.maxOpen ?? MAX_OPEN_CONNECTIONS);
  const perAddress = positiveInteger('perAddress', options.perAddress ?? MAX_CONNECTIONS_PER_ADDRESS);
  const global = pLimit(maxOpen);
  const leases = options.leases;
  /** Per-address limiter and how many probes hold or wait for it (dropped at zero, so the map stays small). */
  const byAddress = new Map<string, { limit: LimitFunction; users: number }>();
  const openByAddress = new Map<string, number>();
  let waiting = 0;
  let peakPerAddress = 0;
  let peakOpen = 0;

  function enter(address: string): LimitFunction {
    let entry = byAddress.get(address);
    if (!entry) {
      entry = { limit: pLimit(perAddress), users: 0 };
      byAddress.set(address, entry);
    }
    entry.users++;
    return entry.limit;
  }

  async function withLease<T>(address: string, fn: () => Promise<T>): Promise<T> {
    if (!leases) return fn();
    const lease = await leases.acquire(address);
    try {
      return await fn();
    } finally {
      await lease.release();
    }
  }

  function leave(address: string): void {
    const entry = byAddress.get(address);
    if (entry && --entry.users === 0) byAddress.delete(address);
  }

  return {
    maxOpen,
    perAddress,
    async run<T>(address: string, fn: () => Promise<T>): Promise<T> {
      const limit = enter(address);
      // The fleet's lease before the global slot: a probe waiting on other machines must not hold a
      // global slot, and the global wait is only on this process's own running connections.
      const slot = <U>(fn: () => Promise<U>): Promise<U> => withLease(address, () => global(fn));
      waiting++;
      try {
        // The address slot first: a probe queued behind a busy address must not hold a global slot.
        return await limit(() =>
          slot(async () => {
            waiting--;
            const open = (openByAddress.get(address) ?? 0) + 1;
            openByAddress.set(address, open);
            peakPerAddress = Math.max(peakPerAddress, open);
            peakOpen = Math.max(peakOpen, global.activeCount);
            try {
              return await fn();
            } finally {
              const left = (openByAddress.get(address) ?? 1) - 1;
              if (left === 0) openByAddress.delete(address);
              else openByAddress.set(address, left);
            }
          }),
        );
      } finally {
        leave(address);
      }
    },
    stats() {
      return { open: global.activeCount, queued: waiting, peakPerAddress, peakOpen, addresses: byAddress.size };
    },
  };
}
