/**
 * A distributed batch's jobs that fail on the workers, end to end: a
 * private Redis, a coordinator (`batch --queue`) and a worker process
 * (`worker --queue`). A job fails for real the way the worker knows to
 * fail one: a lease on an address is lost while a connection holds it (the
 * lease is gone from Redis when the worker refreshes it, as after Redis was
 * unreachable longer than --stall-timeout). Here the MX at LOST_HOST wipes
 * its address's lease from Redis as it accepts a connection, then holds its
 * greeting past a refresh.
 *
 * A job that fails every try gets one error line per domain naming the
 * tries, and only that job: the chunks checked beside it keep their good
 * lines. A job that fails one try and then succeeds gets its good lines and
 * no error line (the coordinator reads the set a job is in, not its
 * failedReason, which BullMQ keeps from the failed try).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { decideSuite, suiteNeeding } from '../prerequisites.js';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { reply, runDialogue } from '../peers/scripted-dialogue.js';
import { createScriptedServer, type UnlistenedScriptedServer } from '../peers/scripted-smtp.js';
import { listen } from '../peers/listen.js';
import { REDIS_HINT, redisMissing, startRedis, type RedisInstance } from '../support/redis-server.js';
import type { BatchLine } from '../../src/model/batch-line.js';
import { FLEET_LEASE_PREFIX } from '../../src/fleet/fleet-queue.js';
import { FLEET_JOB_ATTEMPTS } from '../../src/model/fleet-limits.js';
import { startBatch, type BatchRun } from './run-batch-cli.js';

/** This file's slice of loopback: DNS on .210, the MX that loses its lease on .211, healthy MXs on .212–.213. */
const DNS_HOST = '127.0.0.210';
const LOST_HOST = '127.0.0.211';
const GOOD_HOSTS = ['127.0.0.212', '127.0.0.213'];
/** The worker's --stall-timeout: its leases are refreshed every third of it (667 ms). */
const STALL_TIMEOUT_S = '2';
/**
 * Every peer holds its greeting this long: past two refreshes of a lease (so the wiped one is found gone
 * while its connection is open), and long enough that the chunks of a worker run side by side.
 */
const GREETING_HOLD_MS = 1_500;
/** Domains per job (`--chunk`): a chunk is all on one MX, so only the LOST_HOST chunk loses a lease. */
const CHUNK = 2;
/** Line of a failed chunk's domains, as the README documents it. */
const TRIES_FAILED = new RegExp(
  `^The check failed on the workers \\(${FLEET_JOB_ATTEMPTS} tries\\): address leases could not be held in Redis`,
);

let redis: RedisInstance;
/** The test's own client: the LOST_HOST peer wipes leases with it. */
let wiper: Redis;
let dns: DnsServer;
let lostPeer: UnlistenedScriptedServer;
let goodPeers: UnlistenedScriptedServer[] = [];
let port = 0;
let dir: string;
/** Connections of LOST_HOST whose lease is wiped from here on (Infinity: all). */
let wipesLeft = 0;
/** Leases the LOST_HOST peer found in Redis and wiped. */
let wiped = 0;

function dialogue(host: string) {
  return {
    hostname: `mx.${host}.retries.test`,
    extensions: ['PIPELINING', '8BITMIME'],
    rcptTo: (address: string) =>
      address.startsWith('postmaster@') ? reply(250, '2.1.5 Ok') : reply(554, '5.7.1 Relay access denied'),
  };
}

/** Domains `prefix0.retries.test`… with their MX at `host`. */
function domainsAt(prefix: string, count: number, host: string): string[] {
  const list = Array.from({ length: count }, (_, i) => `${prefix}${i}.retries.test`);
  for (const d of list) dns.set(...mailDomainRecords(d, [{ name: `mx.${host}.retries.test`, addresses: [host] }]));
  return list;
}

function readLines(path: string): BatchLine[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as BatchLine);
}

/** A worker and a coordinator over `domains` (in this order, chunks of CHUNK); the coordinator's result. */
async function runFleet(name: string, domains: string[]): Promise<{ lines: BatchLine[]; worker: string }> {
  const list = join(dir, `${name}.txt`);
  const out = join(dir, `${name}.jsonl`);
  writeFileSync(list, `${domains.join('\n')}\n`);
  const worker: BatchRun = startBatch(
    ['--queue', redis.url, '--resolver', dns.address, '--port', String(port), '--stall-timeout', STALL_TIMEOUT_S],
    { command: 'worker' },
  );
  try {
    const coordinator = await startBatch([
      list,
      '--queue',
      redis.url,
      '--out',
      out,
      '--timeout',
      '10',
      '--chunk',
      String(CHUNK),
    ]).done;
    assert.equal(coordinator.code, 0, `${coordinator.stderr}\nworker:\n${worker.stderr()}`);
    return { lines: readLines(out), worker: worker.stderr() };
  } finally {
    worker.child.kill('SIGKILL');
    await worker.done;
  }
}

const decision = decideSuite({ suite: 'fleet retries', missing: redisMissing(), hint: REDIS_HINT });

suiteNeeding('checker-smtp batch --queue: jobs that fail on the workers', decision, () => {
  before(async () => {
    redis = await startRedis();
    wiper = new Redis({ host: redis.host, port: redis.port, maxRetriesPerRequest: null });
    dns = await startDnsServer([], { host: DNS_HOST });
    lostPeer = createScriptedServer(async (conn) => {
      if (wipesLeft > 0) {
        wipesLeft--;
        // The worker took the lease before it dialled: it is there to wipe (redis-semaphore names the key).
        const keys = await wiper.keys(`*${FLEET_LEASE_PREFIX}:address:${LOST_HOST}`);
        if (keys.length > 0) wiped += await wiper.del(...keys);
      }
      await conn.sleep(GREETING_HOLD_MS);
      await runDialogue(conn, dialogue(LOST_HOST));
    });
    port = await listen(lostPeer.server, LOST_HOST, port);
    for (const host of GOOD_HOSTS) {
      const peer = createScriptedServer(async (conn) => {
        await conn.sleep(GREETING_HOLD_MS);
        await runDialogue(conn, dialogue(host));
      });
      port = await listen(peer.server, host, port);
      goodPeers.push(peer);
    }
    dir = mkdtempSync(join(tmpdir(), 'checker-smtp-retries-'));
  });

  after(async () => {
    wiper?.disconnect();
    await Promise.all([lostPeer?.close(), ...goodPeers.map((p) => p.close())]);
    goodPeers = [];
    await dns?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes error lines naming the tries for a job that fails every try; the chunks beside it keep good lines', async () => {
    const lost = domainsAt('lost', CHUNK, LOST_HOST);
    const good = GOOD_HOSTS.flatMap((host, i) => domainsAt(`good${i}-`, CHUNK, host));
    wipesLeft = Infinity;
    wiped = 0;
    const { lines, worker } = await runFleet('every-try', [...lost, ...good]);

    assert.equal(wiped, FLEET_JOB_ATTEMPTS, `a lease wiped on each try of the job (worker:\n${worker})`);
    assert.equal(lostPeer.connections.length, FLEET_JOB_ATTEMPTS, 'the job was tried as often as it may be');
    assert.deepEqual(lines.map((l) => l.domain).sort(), [...lost, ...good].sort(), 'one line per domain');
    for (const l of lines.filter((l) => lost.includes(l.domain))) {
      assert.deepEqual(Object.keys(l).sort(), [
        'checked_at',
        'domain',
        'error',
        'facts',
        'input_line',
        'states',
        'status',
        'status_name',
      ]);
      assert.equal(l.status, 3);
      assert.equal(l.status_name, 'ERROR');
      assert.deepEqual(l.states, []);
      assert.ok(!Number.isNaN(Date.parse(l.checked_at)), l.checked_at);
      assert.match(l.error ?? '', TRIES_FAILED);
    }
    const goodLines = lines.filter((l) => good.includes(l.domain));
    assert.deepEqual(
      goodLines.flatMap((l) => (l.error === undefined && l.facts?.reachable === 1 ? [] : [`${l.domain}: ${l.error}`])),
      [],
      `the other chunks' lines are good (worker:\n${worker})`,
    );
  });

  it('writes one good line per domain, and no error line, for a job that fails one try and then succeeds', async () => {
    const lost = domainsAt('once', CHUNK, LOST_HOST);
    const before = lostPeer.connections.length;
    wipesLeft = 1;
    wiped = 0;
    const { lines, worker } = await runFleet('one-try', lost);

    assert.equal(wiped, 1, 'the first try lost its lease');
    assert.equal(lostPeer.connections.length - before, 2, 'tried twice');
    assert.match(worker, /job \S+ \(2 domains\) failed: address leases could not be held in Redis/);
    assert.deepEqual(lines.map((l) => l.domain).sort(), [...lost].sort(), 'one line per domain');
    assert.deepEqual(
      lines.flatMap((l) => (l.error === undefined && l.facts?.reachable === 1 ? [] : [`${l.domain}: ${l.error}`])),
      [],
    );
  });
});
