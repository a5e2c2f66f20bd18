/**
 * The worker thread's side of presenter.ts: one task over an observation
 * that arrives as JSON pieces (made on the main thread a turn at a time),
 * parsed and presented here, off the event loop that answers /health.
 */
import type { Observation } from '../../model/observation.js';
import { runPresentTask, type PresentTask } from './present-tasks.js';

export interface WorkerInput {
  /** The observation's JSON text, in pieces (see observation-json.ts). */
  observation: string[];
  task: PresentTask;
}

export default function present({ observation, task }: WorkerInput): unknown {
  return runPresentTask(JSON.parse(observation.join('')) as Observation, task);
}
