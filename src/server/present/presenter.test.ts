/**
 * The presenter gives the same answers inline and in its worker thread, and
 * sends only large observations to the worker.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { endpoint, mixedObservation, observation } from '../../../test/fixtures/observations.js';
import { formValues } from '../check-page.js';
import { createPresenter, INLINE_PRESENT_LIMIT } from './presenter.js';
import { runPresentTask, type PresentTask } from './present-tasks.js';

const worker = createPresenter({ inlineLimit: { endpoints: 0, transcriptLines: 0 } });
const inline = createPresenter();
after(async () => {
  await worker.close();
  await inline.close();
});

test('sends to the worker only an observation with many endpoints or long transcripts', () => {
  assert.equal(inline.inWorker(mixedObservation()), false);
  const many = observation({
    endpoints: Array.from({ length: INLINE_PRESENT_LIMIT.endpoints + 1 }, (_, i) =>
      endpoint({ address: `192.0.2.${i + 1}` }),
    ),
  });
  assert.equal(inline.inWorker(many), true);
  const long = observation({ endpoints: [endpoint()] });
  long.endpoints[0]!.transcript = Array.from({ length: INLINE_PRESENT_LIMIT.transcriptLines + 1 }, (_, i) => ({
    t: i,
    dir: 'S' as const,
    text: `250-${i}`,
  }));
  assert.equal(inline.inWorker(long), true);
});

test('answers every task in the worker exactly as inline', async () => {
  const obs = mixedObservation();
  const tasks: PresentTask[] = [
    { kind: 'evaluate', enabledRules: { 'smtp.open_relay': false } },
    { kind: 'report-html' },
    { kind: 'report-metrics' },
    { kind: 'check-page', values: formValues({ domain: obs.domain }), needsToken: true, probeAddress: false },
    // The result part of the streamed /check page: a large one is rendered off the event loop too.
    { kind: 'check-result' },
  ];
  for (const task of tasks) {
    const result = runPresentTask(obs, task);
    // Text comes back as UTF-8 bytes, ready for the socket.
    const expected = typeof result === 'string' ? Buffer.from(result) : result;
    assert.deepEqual(await worker.run(obs, task), expected, task.kind);
    assert.deepEqual(await inline.run(obs, task), expected, task.kind);
  }
});

test('passes an error of the worker on to the caller', async () => {
  const broken = mixedObservation();
  (broken as unknown as { endpoints: unknown }).endpoints = [{ address: 1 }];
  await assert.rejects(worker.run(broken, { kind: 'report-html' }));
});
