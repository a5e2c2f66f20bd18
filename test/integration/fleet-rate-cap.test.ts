/**
 * `worker --connections-per-minute` end to end: two worker processes, each
 * sending from its own loopback address, with a cap of 2 new connections a
 * minute to one address across the fleet, over six domains whose one MX
 * address needs a connection each (chunks of one domain). Counted at the
 * SMTP peer: the two workers open one connection each at once, and then no
 * third for as long as the test watches, while both workers hold a job for
 * that address. The window is a minute, with no flag to shorten it (the
 * flag says per minute), so the run is not waited for: the third connection
 * may come only a minute after the first. With a short window,
 * src/fleet/address-leases.test.ts proves that the held connections go once
 * it allows, and address-leases-jobs.test.ts that the cap holds over any
 * window's length, across the turn of a calendar window (a counter per
 * calendar minute did not: watching across the turn of a minute, this test
 * saw 4 connections within 1.4 s).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { decideSuite, suiteNeeding } from '../prerequisites.js';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { reply, runDialogue } from '../peers/scripted-dialogue.js';
import { createScriptedServer, type UnlistenedScriptedServer } from '../peers/scripted-smtp.js';
import { listen } from '../peers/listen.js';
import { REDIS_HINT, redisMissing, startRedis, type RedisInstance } from '../support/redis-server.js';
import { FLEET_PREFIX, FLEET_QUEUE } from '../../src/fleet/fleet-queue.js';
import { startBatch, type BatchRun } from './run-batch-cli.js';

/** This file's slice of loopback: DNS on .220, the MX on .221, the workers send from .222 and .223. */
const DNS_HOST = '127.0.0.220';
const MX_HOST = '127.0.0.221';
const WORKER_SOURCES = ['127.0.0.222', '127.0.0.223'];
const PER_MINUTE = 2;
const DOMAINS = Array.from({ length: 6 }, (_, i) => `r${i}.rate.test`);
/**
 * The peer holds its greeting this long: both workers have taken their first job before either is done
 * (each runs one job at a time), so the first two connections are one from each.
 */
const GREETING_HOLD_MS = 1_000;
/** How long after the second connection no third may come: far below the minute, far above a session. */
const WATCH_MS = 8_000;
/** The workers and the coordinator start (tsx on a shared machine) and the first two connections come within this. */
const START_WITHIN_MS = 40_000;

let redis: RedisInstance;
let dns: DnsServer;
let peer: UnlistenedScriptedServer;
let dir: string;

function until(what: string, ready: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (ready()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`not within ${withinMs} ms: ${what}`));
      }
    }, 20);
  });
}

const decision = decideSuite({ suite: 'fleet rate cap', missing: redisMissing(), hint: REDIS_HINT });

suiteNeeding('checker-smtp worker --connections-per-minute', decision, () => {
  before(async () => {
    redis = await startRedis();
    dns = await startDnsServer([], { host: DNS_HOST });
    for (const d of DOMAINS) dns.set(...mailDomainRecords(d, [{ name: 'mx.rate.test', addresses: [MX_HOST] }]));
    peer = createScriptedServer(async (conn) => {
      await conn.sleep(GREETING_HOLD_MS);
      await runDialogue(conn, {
        hostname: 'mx.rate.test',
        extensions: ['PIPELINING'],
        rcptTo: (address) =>
          address.startsWith('postmaster@') ? reply(250, '2.1.5 Ok') : reply(554, '5.7.1 Relay access denied'),
      });
    });
    await listen(peer.server, MX_HOST, 0);
    dir = mkdtempSync(join(tmpdir(), 'checker-smtp-rate-'));
  });

  after(async () => {
    await peer?.close();
    await dns?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets 2 new connections a minute reach one address across two workers, the third held back', async () => {
    const list = join(dir, 'domains.txt');
    writeFileSync(list, `${DOMAINS.join('\n')}\n`);
    const port = (peer.server.address() as { port: number }).port;
    const workers: BatchRun[] = WORKER_SOURCES.map((source) =>
      startBatch(
        [
          '--queue',
          redis.url,
          '--resolver',
          dns.address,
          '--port',
          String(port),
          '--source-address',
          source,
          '--connections-per-minute',
          String(PER_MINUTE),
          // Both at once if the rate allows it: the cap, not the per-address bound, holds the third back.
          '--connections-per-address',
          '4',
          // One job at a time (chunks of one domain): each worker keeps one domain waiting on the cap.
          '--concurrency',
          '100',
        ],
        { command: 'worker' },
      ),
    );
    const coordinatorClient = new Redis({ host: redis.host, port: redis.port, maxRetriesPerRequest: null });
    const queue = new Queue(FLEET_QUEUE, { connection: coordinatorClient, prefix: FLEET_PREFIX });
    let coordinator: BatchRun | undefined;
    try {
      // Both workers listen before any job is there, so each takes one of the first two.
      await until('both workers started', () => workers.every((w) => /^Worker on /m.test(w.stderr())), START_WITHIN_MS);
      assert.match(workers[0]!.stderr(), /, 2 a minute\./);
      coordinator = startBatch([
        list,
        '--queue',
        redis.url,
        '--out',
        join(dir, 'results.jsonl'),
        '--timeout',
        '10',
        '--chunk',
        '1',
      ]);
      await until('two connections at the peer', () => peer.connections.length >= PER_MINUTE, START_WITHIN_MS);
      await new Promise((r) => setTimeout(r, WATCH_MS));

      const first = peer.connections[0]!.openedAt;
      assert.ok(Date.now() - first < 50_000, 'watched well within the minute of the first connection');
      const seen = peer.connections.map((c) => `${c.remoteAddress} at +${c.openedAt - first} ms`);
      assert.equal(peer.connections.length, PER_MINUTE, `no third connection ${WATCH_MS} ms on: ${seen.join(', ')}`);
      assert.deepEqual(
        peer.connections.map((c) => c.remoteAddress).sort(),
        [...WORKER_SOURCES].sort(),
        'one from each worker: the cap is the fleet’s, not each worker’s',
      );
      // Both workers still hold a job for the address, waiting on the cap: the third was wanted, and held back.
      const counts = await queue.getJobCounts('active', 'completed', 'waiting');
      assert.equal(counts['active'], WORKER_SOURCES.length, JSON.stringify(counts));
      assert.equal(coordinator.child.exitCode, null, 'the run is not over');
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      coordinator?.child.kill('SIGKILL');
      await Promise.all([...workers.map((w) => w.done), coordinator?.done]);
      await queue.close();
      coordinatorClient.disconnect();
    }
  });
});
