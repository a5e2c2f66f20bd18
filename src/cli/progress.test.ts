import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createProgress } from './progress.js';
import { endpoint, observation } from '../../test/fixtures/observations.js';

test('createProgress() rewrites one line with what each endpoint is doing, and clears it at the end', () => {
  const out = Object.assign(new PassThrough(), { columns: 0 });
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  const progress = createProgress(out);
  const ep = endpoint({ address: '192.0.2.10' });
  progress.update({
    type: 'dns',
    dns: observation().dns,
    endpoints: [{ address: ep.address, family: 4, port: 25, mx: ep.mx, preference: 10 }],
  });
  progress.update({ type: 'endpoint-phase', subject: ep.subject, phase: 'null_sender' });
  progress.update({ type: 'endpoint-done', endpoint: ep });
  progress.done();
  assert.deepEqual(chunks, [
    '\r\x1b[2KResolving MX records…',
    '\r\x1b[2KProbing 1 endpoint (0 done)',
    '\r\x1b[2KProbing 1 endpoint (0 done): 192.0.2.10:25 null sender',
    '\r\x1b[2KProbing 1 endpoint (1 done)',
    '\r\x1b[2K',
  ]);
});

test('createProgress() counts a retried endpoint once, and says when it checks port 25 itself', () => {
  const out = Object.assign(new PassThrough(), { columns: 0 });
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  const progress = createProgress(out);
  const ep = endpoint({ address: '192.0.2.10' });
  progress.update({
    type: 'dns',
    dns: observation().dns,
    endpoints: [{ address: ep.address, family: 4, port: 25, mx: ep.mx, preference: 10 }],
  });
  progress.update({ type: 'endpoint-done', endpoint: ep });
  progress.update({ type: 'endpoint-retry', subject: ep.subject });
  progress.update({ type: 'endpoint-done', endpoint: ep });
  progress.update({ type: 'egress-check' });
  assert.deepEqual(chunks.slice(2), [
    '\r\x1b[2KProbing 1 endpoint (1 done)',
    '\r\x1b[2KProbing 1 endpoint (0 done): 192.0.2.10:25 waiting to try again',
    '\r\x1b[2KProbing 1 endpoint (1 done)',
    '\r\x1b[2KNo endpoint answered: checking whether this machine can reach port 25 at all…',
  ]);
});
