/**
 * The worker thread's side of presenter.ts: one task over an observation
 * that arrives as UTF-8 JSON pieces (made on the main thread a turn at a
 * time, moved here without a copy), parsed and presented here, off the event
 * loop that answers /health. Text answers (HTML) go back as UTF-8 bytes,
 * moved too: the main thread writes them to the socket as they are.
 */
import { move } from 'piscina';
import type { Observation } from '../../model/observation.js';
import { runPresentTask, type PresentTask } from './present-tasks.js';

export interface WorkerInput {
  /** The observation's JSON text as UTF-8, in pieces (see observation-json.ts). */
  observation: Uint8Array[];
  task: PresentTask;
}

export default function present({ observation, task }: WorkerInput): unknown {
  const decoder = new TextDecoder();
  const text = observation.map((piece) => decoder.decode(piece)).join('');
  const result = runPresentTask(JSON.parse(text) as Observation, task);
  return typeof result === 'string' ? move(new TextEncoder().encode(result)) : result;
}
