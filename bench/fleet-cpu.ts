/**
 * Where a distributed run's CPU goes: the CPU time of each part of the
 * fleet (the workers, the coordinator, the peers with their proxies and
 * DNS, Redis) over a run, and the machine's, read from /proc (the bench's
 * own process from process.cpuUsage()), so that "the cores are the bound"
 * is a figure and not a guess. What the machine spent beyond the parts is
 * everybody else's: other users of a shared machine, the kernel's own work.
 */
import { availableParallelism } from 'node:os';
import { cpuMsOf, machineCpu, runQueueWaitMsOf, type MachineCpu } from './proc-stat.js';

export const CPU_PARTS = ['workers', 'coordinator', 'peers', 'redis'] as const;
export type CpuPart = (typeof CPU_PARTS)[number];

/** A process of a part: its pid, or "self" for the bench's own process (the coordinator run through main()). */
export type CpuProcess = number | 'self';

/**
 * How often the processes' CPU times are read while the run goes on: a process that exits before the
 * end (a coordinator child, after its last line) is counted up to its last reading, a second before its
 * exit at most. Rarely, because the reads (a process's threads and children in /proc) are this process's
 * CPU, counted as the coordinator's when it runs here.
 */
const SAMPLE_MS = 1000;

export interface CpuUse {
  /** CPU milliseconds of each part over the run. */
  parts: Record<CpuPart, number>;
  /** Milliseconds each part's main threads were runnable and waiting for a core (summed over its processes). */
  waits: Record<CpuPart, number>;
  /** Processes of each part. */
  processes: Record<CpuPart, number>;
  machine: MachineCpu;
  wallMs: number;
}

export interface CpuWatch {
  /** A process started after the watch (counted from its start). */
  add(part: CpuPart, process: CpuProcess): void;
  stop(): CpuUse;
}

const selfMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

export function startCpuWatch(parts: Partial<Record<CpuPart, CpuProcess[]>>): CpuWatch {
  const started = performance.now();
  const machineBefore = machineCpu();
  interface Counter {
    read: () => number | null;
    first: number;
    last: number;
  }
  const watched: { part: CpuPart; cpu: Counter; wait: Counter }[] = [];
  const counter = (read: () => number | null, fromZero: boolean): Counter => {
    const now = read() ?? 0;
    return { read, first: fromZero ? 0 : now, last: now };
  };
  const add = (part: CpuPart, p: CpuProcess, fromZero: boolean) => {
    watched.push(
      p === 'self'
        ? { part, cpu: counter(selfMs, fromZero), wait: counter(() => runQueueWaitMsOf(process.pid), fromZero) }
        : { part, cpu: counter(() => cpuMsOf(p), fromZero), wait: counter(() => runQueueWaitMsOf(p), fromZero) },
    );
  };
  for (const part of CPU_PARTS) for (const p of parts[part] ?? []) add(part, p, false);
  const sample = () => {
    for (const w of watched) for (const c of [w.cpu, w.wait]) c.last = c.read() ?? c.last;
  };
  const timer = setInterval(sample, SAMPLE_MS);
  timer.unref();
  return {
    add: (part, p) => add(part, p, p !== 'self'),
    stop() {
      clearInterval(timer);
      sample();
      const machineAfter = machineCpu();
      const zero = () => Object.fromEntries(CPU_PARTS.map((p) => [p, 0])) as Record<CpuPart, number>;
      const used = zero();
      const waits = zero();
      const processes = zero();
      for (const w of watched) {
        used[w.part] += w.cpu.last - w.cpu.first;
        waits[w.part] += w.wait.last - w.wait.first;
        processes[w.part]++;
      }
      return {
        parts: used,
        waits,
        processes,
        machine: {
          busyMs: machineAfter.busyMs - machineBefore.busyMs,
          irqMs: machineAfter.irqMs - machineBefore.irqMs,
          totalMs: machineAfter.totalMs - machineBefore.totalMs,
        },
        wallMs: performance.now() - started,
      };
    },
  };
}

export interface CpuSplit {
  use: CpuUse;
  domains: number;
  /** CPU milliseconds a domain, per part. */
  perDomain: Record<CpuPart, number>;
  /** CPU milliseconds of every part together. */
  fleetMs: number;
  /** Machine's CPU spent by no part and in no interrupt: other processes (of other users, on a shared machine). */
  otherMs: number;
  /** Fraction of the machine's CPU time that was busy (1: every core, the whole run). */
  busy: number;
  cores: number;
}

export function cpuSplit(use: CpuUse, domains: number): CpuSplit {
  const perDomain = Object.fromEntries(CPU_PARTS.map((p) => [p, use.parts[p] / domains])) as Record<CpuPart, number>;
  const fleetMs = CPU_PARTS.reduce((t, p) => t + use.parts[p], 0);
  return {
    use,
    domains,
    perDomain,
    fleetMs,
    otherMs: use.machine.busyMs - use.machine.irqMs - fleetMs,
    busy: use.machine.busyMs / use.machine.totalMs,
    cores: availableParallelism(),
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** CPU time as cores kept busy on average over the run. */
const cores = (c: CpuSplit, ms: number) => (ms / c.use.wallMs).toFixed(2);

/** Share of the run a part's main thread spent waiting for a core (per process, on average). */
const waiting = (c: CpuSplit, p: CpuPart) =>
  `${((100 * c.use.waits[p]) / Math.max(1, c.use.processes[p]) / c.use.wallMs).toFixed(0)} %`;

/** For the log: each part's CPU seconds and milliseconds a domain, the machine's busy time and who else used it. */
export function formatCpuSplit(c: CpuSplit): string {
  const parts = CPU_PARTS.map((p) => `${p} ${s(c.use.parts[p])} (${c.perDomain[p].toFixed(2)} ms/domain)`);
  const m = c.use.machine;
  return (
    `${parts.join(', ')}; together ${s(c.fleetMs)}, ${cores(c, c.fleetMs)} cores over ${s(c.use.wallMs)}; ` +
    `machine ${s(m.busyMs)} busy of ${s(m.totalMs)} (${(c.busy * 100).toFixed(0)} % of ${c.cores} cores): ` +
    `interrupts ${s(m.irqMs)}, other processes ${s(c.otherMs)} (${cores(c, c.otherMs)} cores); ` +
    `event loops waiting for a core: ${CPU_PARTS.map((p) => `${p} ${waiting(c, p)}`).join(', ')}`
  );
}

/** For the table: milliseconds a domain per part, the cores the fleet and everything else kept busy. */
export function cpuSplitValue(c: CpuSplit): string {
  const p = c.perDomain;
  return (
    `workers ${p.workers.toFixed(2)} ms, coordinator ${p.coordinator.toFixed(2)}, peers+proxies ${p.peers.toFixed(2)}, ` +
    `redis ${p.redis.toFixed(2)} (${(c.fleetMs / c.domains).toFixed(1)} ms: ${cores(c, c.fleetMs)} cores); ` +
    // The processes' counters and /proc/stat are kept apart and disagree by a few ticks: a rest below 0 is 0.
    `machine busy ${(c.busy * 100).toFixed(0)} %, others ${cores(c, Math.max(0, c.otherMs))} cores; ` +
    `waiting for a core: workers ${waiting(c, 'workers')}, peers ${waiting(c, 'peers')}`
  );
}
