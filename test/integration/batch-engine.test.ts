/**
 * The batch engine in process (src/fleet): the loop with the real unit of
 * work (checkChunk → collectMany) against the in-process DNS server and
 * loopback peers. What the CLI tests cannot see from outside: the bound on
 * domains in flight, and what stop and abort leave behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { createConnectionGate } from '../../src/collect/connection-gate.js';
import { parseResolver } from '../../src/config/settings.js';
import type { BatchLine } from '../../src/model/batch-line.js';
import { checkChunk, type ChunkItem, type ChunkSettings } from '../../src/fleet/check-chunk.js';
import { streamWriter } from '../../src/fleet/batch-output.js';
import { readDomains } from '../../src/fleet/domain-source.js';
import { createResultSink } from '../../src/fleet/result-sink.js';
import { runBatchLoop } from '../../src/fleet/run-batch.js';
import { FleetAggregator } from '../../src/presentation/fleet-summary.js';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { startScriptedServer, type ScriptedServer } from '../peers/scripted-smtp.js';

/** This file's slice of loopback: DNS on .245, a silent MX on .246. */
const DNS_HOST = '127.0.0.245';
const SILENT_HOST = '127.0.0.246';
const NULL_MX = Array.from({ length: 300 }, (_, i) => `n${i}.engine.test`);

let dns: DnsServer;
let silent: ScriptedServer;

before(async () => {
  dns = await startDnsServer([], { host: DNS_HOST });
  // Null MX domains: a real DNS answer and a full evaluation, no SMTP: hundreds of domains in a second.
  for (const d of NULL_MX) dns.set({ name: d, type: 'MX', priority: 0, exchange: '.' });
  silent = await startScriptedServer({ host: SILENT_HOST, port: 0, script: (conn) => conn.sleep(60_000) });
  for (const d of ['q1.engine.test', 'q2.engine.test'])
    dns.set(...mailDomainRecords(d, [{ name: 'mx.silent.engine.test', addresses: [SILENT_HOST] }]));
});

after(async () => {
  await Promise.all([silent.close(), dns.close()]);
});

function settings(): ChunkSettings {
  return {
    full: false,
    collect: {
      resolver: parseResolver(dns.address),
      port: silent.port,
      gate: createConnectionGate({ perAddress: 1 }),
      options: { timeout: 5 },
      egressCanary: [],
    },
  };
}

function collector() {
  const stream = new PassThrough();
  const lines: BatchLine[] = [];
  let buffered = '';
  stream.on('data', (b: Buffer) => {
    buffered += b.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const p of parts) lines.push(JSON.parse(p) as BatchLine);
  });
  return { writer: streamWriter(stream), lines };
}

test('the loop keeps at most `concurrency` domains in flight and gives every domain exactly one line', async () => {
  const { writer, lines } = collector();
  const summary = new FleetAggregator();
  const sink = createResultSink(() => writer, { summary });
  const s = settings();
  let inFlight = 0;
  let peak = 0;
  const result = await runBatchLoop({
    items: readDomains(Readable.from([`${NULL_MX.join('\n')}\nbad..name\n`])),
    work: async (chunk: ChunkItem[], signal) => {
      inFlight += chunk.length;
      peak = Math.max(peak, inFlight);
      try {
        return await checkChunk(chunk, s, signal);
      } finally {
        inFlight -= chunk.length;
      }
    },
    sink,
    concurrency: 40,
    chunkSize: 10,
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(result, { complete: true, checked: 300, refused: 1, notDone: 0 });
  assert.ok(peak <= 40 && peak >= 30, `peak ${peak} domains in flight`);
  assert.equal(lines.length, 301);
  assert.deepEqual(new Set(lines.map((l) => l.domain)).size, 301);
  assert.ok(lines.filter((l) => l.domain !== 'bad..name').every((l) => l.facts?.null_mx === true && l.status === 0));
  const model = summary.model();
  assert.equal(model.domains, 301);
  assert.equal(model.nullMx, 300);
  assert.equal(model.errors.total, 1);
});

test('stop takes no new domains and lets those in flight finish; abort cuts them and they are not written', async () => {
  const { writer, lines } = collector();
  const sink = createResultSink(() => writer);
  const stop = new AbortController();
  const abort = new AbortController();
  const s = settings();
  // Two domains whose MX never greets (5 s budget) in the first chunk, then null MX domains.
  const input = ['q1.engine.test', 'q2.engine.test', ...NULL_MX].join('\n');
  const started = Date.now();
  const result = await runBatchLoop({
    items: readDomains(Readable.from([input])),
    work: (chunk, signal) => checkChunk(chunk, s, signal),
    sink,
    concurrency: 20,
    chunkSize: 5,
    stop: stop.signal,
    abort: abort.signal,
    onProgress: (p) => {
      // Once some null MX chunks are in, stop; shortly after, cut what is still running (the silent MX).
      if (p.checked >= 10 && !stop.signal.aborted) {
        stop.abort();
        setTimeout(() => abort.abort(), 100);
      }
    },
  });
  await new Promise((r) => setImmediate(r));
  assert.ok(Date.now() - started < 4000, 'the cut ends the wait for the silent server at once');
  assert.equal(result.complete, false);
  assert.equal(result.notDone, 5, 'the chunk with the silent MX was cut: its five domains are not done');
  assert.equal(lines.length, result.checked);
  assert.ok(result.checked < NULL_MX.length, `${result.checked} written`);
  assert.ok(!lines.some((l) => l.domain.startsWith('q')), 'a cut domain never gets a line');
});

test('stop ends the loop while the source has nothing to give (an idle stdin): the chunk in hand is not written', async () => {
  const { writer, lines } = collector();
  const sink = createResultSink(() => writer);
  const stop = new AbortController();
  // Three domains, then a pipe that stays open and silent, like a terminal's stdin nobody types into.
  const source = new PassThrough();
  source.write('n0.engine.test\nn1.engine.test\nn2.engine.test\n');
  const started = Date.now();
  setTimeout(() => stop.abort(), 200);
  const result = await runBatchLoop({
    items: readDomains(source),
    work: (chunk, signal) => checkChunk(chunk, settings(), signal),
    sink,
    concurrency: 40,
    chunkSize: 10,
    stop: stop.signal,
  });
  source.destroy();
  assert.ok(Date.now() - started < 2000, `ended ${Date.now() - started} ms after start`);
  assert.equal(result.complete, false);
  assert.equal(result.checked, 0, 'a chunk still filling when the run stops is never started');
  assert.equal(lines.length, 0);
});
