/**
 * JSON of an answer that holds an observation, a piece at a time. A large
 * observation (many endpoints, each with up to MAX_ENDPOINT_BYTES of replies
 * and transcript) takes JSON.stringify a second or more in one go, and
 * nothing else runs meanwhile: /health stalled for seconds (issue 12). Here
 * each endpoint is serialised on its own, with a turn of the event loop
 * between them, so no slice is longer than one endpoint's JSON. The pieces
 * joined are exactly JSON.stringify's output.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Observation } from '../model/observation.js';

/**
 * The JSON text of `value`, which holds `observation` (possibly as itself),
 * in pieces: everything around the endpoints, then each endpoint. `wrap`
 * builds the answer around the observation it is given.
 */
export async function* observationJson<T>(
  observation: Observation,
  wrap: (observation: Observation) => T,
): AsyncGenerator<string> {
  // A string no observation can hold: the endpoints' place in the text around them.
  const marker = `endpoints:${randomUUID()}`;
  const around = JSON.stringify(wrap({ ...observation, endpoints: marker as unknown as Observation['endpoints'] }));
  const at = around.indexOf(JSON.stringify(marker));
  yield `${around.slice(0, at)}[`;
  for (const [i, endpoint] of observation.endpoints.entries()) {
    await nextTurn();
    yield `${i === 0 ? '' : ','}${JSON.stringify(endpoint)}`;
  }
  yield `]${around.slice(at + JSON.stringify(marker).length)}`;
}

/** All the pieces, gathered (each still made in its own turn of the event loop). */
export async function observationJsonPieces<T>(
  observation: Observation,
  wrap: (observation: Observation) => T,
): Promise<string[]> {
  const pieces: string[] = [];
  for await (const piece of observationJson(observation, wrap)) pieces.push(piece);
  return pieces;
}
