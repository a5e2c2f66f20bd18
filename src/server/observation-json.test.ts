import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { endpoint, mixedObservation, observation } from '../../test/fixtures/observations.js';
import { observationJson, observationJsonPieces } from './observation-json.js';

test('observationJson() pieces joined are exactly JSON.stringify of the answer, endpoints in place', async () => {
  for (const obs of [mixedObservation(), observation({ endpoints: [] })]) {
    const wrap = (data: typeof obs) => ({ data, entries: [{ type: 'tls.endpoint.v1', ref: 'x' }] });
    assert.equal((await observationJsonPieces(obs, wrap)).join(''), JSON.stringify(wrap(obs)));
    assert.equal((await observationJsonPieces(obs, (o) => o)).join(''), JSON.stringify(obs));
  }
});

test('observationJson() keeps text that looks like its own marker as it is', async () => {
  const obs = mixedObservation();
  obs.endpoints[0]!.transcript.push({ t: 1, dir: 'S', text: '250 endpoints:00000000-0000-0000-0000-000000000000' });
  obs.domain = 'endpoints.example';
  assert.equal((await observationJsonPieces(obs, (o) => o)).join(''), JSON.stringify(obs));
});

test('observationJson() lets the event loop run between endpoints: one slice is one endpoint', async () => {
  const obs = observation({
    endpoints: Array.from({ length: 50 }, (_, i) => endpoint({ address: `192.0.2.${i + 1}` })),
  });
  let turns = 0;
  let running = true;
  const ticker = (async () => {
    while (running) {
      await nextTurn();
      turns++;
    }
  })();
  const pieces = [];
  for await (const piece of observationJson(obs, (o) => o)) pieces.push(piece);
  running = false;
  await ticker;
  assert.equal(pieces.length, 52, 'around the endpoints, then one piece each');
  assert.ok(turns >= 49, `other work ran between the pieces (${turns} turns)`);
});
