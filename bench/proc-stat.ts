/**
 * What Linux says a process and the machine used, from /proc: a process's
 * CPU time (every thread: V8's helpers, libuv's pool, Redis's background
 * threads; and its child processes) and resident memory, and the machine's busy and total CPU time,
 * so that a bench can say where a run's CPU went instead of guessing.
 *
 *   const before = { worker: cpuMsOf(pid), machine: machineCpu() };
 *   ...
 *   const ms = cpuMsOf(pid)! - before.worker!;
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks a second, the unit of /proc's CPU times (USER_HZ: 100 on every Linux we run on). */
const TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
const MS_PER_TICK = 1000 / TICKS_PER_S;

/**
 * User + system CPU milliseconds of a process so far (all its threads) and of its descendants (tsx's
 * esbuild service under a `node --import tsx` process, say): those alive now, and those it has already
 * waited for. Null once the process is gone.
 */
export function cpuMsOf(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14–17 (utime, stime, cutime, cstime) are the 12th to 15th after the name.
  const ticks = fields.slice(11, 15).reduce((t, f) => t + Number(f), 0);
  let ms = ticks * MS_PER_TICK;
  for (const child of childrenOf(pid)) ms += cpuMsOf(child) ?? 0;
  return ms;
}

/**
 * Milliseconds the main thread of a process (its event loop, for Node) spent runnable but waiting for a
 * core, from /proc/PID/schedstat (run time, run-queue wait, time slices; nanoseconds): how long the
 * process was held up because the machine's cores were taken, whatever its average busy figure says.
 * Null once the process is gone.
 */
export function runQueueWaitMsOf(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return null;
  }
}

/** Live children of a process, from each of its threads' /proc children list. */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** Resident memory of a process in bytes (VmRSS), or null once it is gone. */
export function rssOf(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface MachineCpu {
  /** CPU milliseconds not idle (summed over the cores): every process of every user, the kernel's work. */
  busyMs: number;
  /** Of which interrupts (hard and soft: loopback networking is mostly softirq), counted to no process. */
  irqMs: number;
  /** CPU milliseconds elapsed, summed over the cores. */
  totalMs: number;
}

/** The machine's CPU time so far, from the first line of /proc/stat (idle and iowait are not busy). */
export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return {
    busyMs: busy * MS_PER_TICK,
    irqMs: (irq! + softirq!) * MS_PER_TICK,
    totalMs: (busy + idle! + iowait!) * MS_PER_TICK,
  };
}
