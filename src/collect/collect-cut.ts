/**
 * How a collection is cut short: its caller's AbortSignal, or its own
 * deadline. One signal for everything collection waits on (DNS, the gate's
 * queue, dialogues, back-offs, the egress check), and the record of why and
 * when, so what was cut is written down instead of thrown away.
 */
import { setMaxListeners } from 'node:events';
import type { Cut, EndpointProbe, ProbeErrorCode } from '../model/observation.js';
import { GateWaitError, type ConnectionGate, type GateRunOptions } from './connection-gate.js';

export interface CollectCut {
  /** Fires when the caller cancels or the deadline runs out. */
  readonly signal: AbortSignal;
  /** Why and when, once cut; null until then. */
  current(): Cut | null;
  /** "the check was cancelled" / "the 44 s deadline of the check ran out". */
  message(): string;
  /** Stop the deadline timer and stop listening to the caller. */
  dispose(): void;
}

/**
 * Start watching `caller` and the deadline (`deadlineMs` after `startedMs`,
 * none when null). A caller's signal already aborted cuts at once.
 */
export function startCut(startedMs: number, deadlineMs: number | null, caller?: AbortSignal): CollectCut {
  const controller = new AbortController();
  // Every pending DNS question, queued probe and dialogue of the collection listens to it (a bulk run: thousands).
  setMaxListeners(Number.POSITIVE_INFINITY, controller.signal);
  let cut: Cut | null = null;
  const deadlineText = `the ${deadlineMs === null ? '' : `${Math.round(deadlineMs / 100) / 10} s `}deadline of the check ran out`;
  const fire = (reason: Cut['reason']) => {
    if (cut) return;
    const message = reason === 'cancelled' ? 'the check was cancelled' : deadlineText;
    cut = { reason, after_ms: Date.now() - startedMs, message };
    controller.abort(new Error(message));
  };
  const onCancel = () => fire('cancelled');
  const timer =
    deadlineMs === null || !Number.isFinite(deadlineMs)
      ? undefined
      : setTimeout(() => fire('deadline'), Math.max(0, startedMs + deadlineMs - Date.now()));
  if (caller?.aborted) fire('cancelled');
  else caller?.addEventListener('abort', onCancel, { once: true });
  return {
    signal: controller.signal,
    current: () => cut,
    message: () => cut?.message ?? 'the check was cut short',
    dispose() {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCancel);
    },
  };
}

/** Errors a cut leaves on a dialogue it interrupted: the budget signal fired, as when time runs out. */
const CUT_SYMPTOMS = new Set<ProbeErrorCode>(['timeout', 'connect.timeout']);

/**
 * `e` as the cut left it: an endpoint never dialled (`notDialled`) or whose
 * dialogue stopped on the budget signal before its own budget ran out gets
 * the error `cancelled` or `deadline`, so no rule reads the cut as the
 * server's silence. Anything else the endpoint did is kept.
 */
export function markCut(
  e: EndpointProbe,
  cut: Cut | null,
  how: { notDialled: boolean; budgetMs: number; collectStartedMs: number },
): EndpointProbe {
  if (!cut || !e.error) return e;
  const { notDialled } = how;
  const cutBeforeBudget = how.collectStartedMs + cut.after_ms < Date.parse(e.started_at) + how.budgetMs;
  if (!notDialled && !(CUT_SYMPTOMS.has(e.error.code) && cutBeforeBudget)) return e;
  const error = {
    code: cut.reason,
    phase: e.error.phase,
    message: notDialled ? `not probed: ${cut.message}` : cut.message,
  };
  const transcript = notDialled
    ? e.transcript
    : [...e.transcript, { t: e.timings.total_ms, dir: '*' as const, text: `cut: ${cut.message}` }];
  return { ...e, error, transcript };
}

/**
 * `probe` through the gate, unless `signal` fires while it waits in line:
 * then `probe()` at once, which sees the signal and dials nothing; the gate
 * gives the place in line up without ever holding a slot for it. A probe
 * already running is waited for: it ends promptly on the same signal, with
 * what it saw. A wait over `options.maxWaitMs` rejects with GateWaitError
 * `timeout`, for the caller to record.
 */
export async function gatedUntilCut<T>(
  gate: ConnectionGate,
  address: string,
  probe: () => Promise<T>,
  signal: AbortSignal,
  options: Omit<GateRunOptions, 'signal'> = {},
): Promise<T> {
  try {
    return await gate.run(address, probe, { ...options, signal });
  } catch (err) {
    if (err instanceof GateWaitError && err.reason === 'cancelled') return probe();
    throw err;
  }
}
