/**
 * The distributed batch end to end: a private Redis, one coordinator
 * (`batch --queue`) and three worker processes (`worker --queue`), each
 * worker sending from its own loopback address so the SMTP peers can tell
 * them apart. A few hundred domains over four shared MX addresses; one
 * worker is SIGKILLed while it holds a connection. Proven at the peers and
 * in the output: exactly one line per domain, the killed worker's domains
 * redone by the others (stalled-job recovery), and never more than one
 * connection open to an address across the fleet.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideSuite, suiteNeeding } from '../prerequisites.js';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { reply, runDialogue } from '../peers/scripted-dialogue.js';
import { createScriptedServer, type UnlistenedScriptedServer } from '../peers/scripted-smtp.js';
import { listen } from '../peers/listen.js';
import { REDIS_HINT, redisMissing, startRedis, type RedisInstance } from '../support/redis-server.js';
import type { BatchLine } from '../../src/model/batch-line.js';
import { startBatch, type BatchRun } from './run-batch-cli.js';

/** This file's slice of loopback: DNS on .170, the shared MX addresses on .171–.174, the workers send from .175–.177. */
const DNS_HOST = '127.0.0.170';
const MX_HOSTS = ['127.0.0.171', '127.0.0.172', '127.0.0.173', '127.0.0.174'];
const WORKER_SOURCES = ['127.0.0.175', '127.0.0.176', '127.0.0.177'];
const DOMAINS = Array.from({ length: 240 }, (_, i) => `f${i}.fleet.test`);
/** Each session holds its greeting this long: sessions overlap across workers, so a missing lease would show. */
const GREETING_DELAY_MS = 40;
/** The workers' --stall-timeout: a killed worker's job and leases come back within seconds. */
const STALL_TIMEOUT_S = '2';
/** Domains the coordinator keeps queued: chunks of 20 (a quarter), so the three workers share the list. */
const COORDINATOR_CONCURRENCY = '80';

interface CountingPeer {
  host: string;
  peer: UnlistenedScriptedServer;
  peak: number;
}

let redis: RedisInstance;
let dns: DnsServer;
let peers: CountingPeer[] = [];
let port = 0;
let dir: string;

const decision = decideSuite({ suite: 'fleet', missing: redisMissing(), hint: REDIS_HINT });

suiteNeeding('checker-smtp batch --queue with three workers', decision, () => {
  before(async () => {
    redis = await startRedis();
    dns = await startDnsServer([], { host: DNS_HOST });
    for (const host of MX_HOSTS) {
      const peer = createScriptedServer(async (conn) => {
        await conn.sleep(GREETING_DELAY_MS);
        await runDialogue(conn, {
          hostname: `mx.${host}.fleet.test`,
          extensions: ['PIPELINING', '8BITMIME'],
          rcptTo: (address) =>
            address.startsWith('postmaster@') ? reply(250, '2.1.5 Ok') : reply(554, '5.7.1 Relay access denied'),
        });
      });
      const counting: CountingPeer = { host, peer, peak: 0 };
      // Open = accepted, and neither closed nor past its QUIT, counted on the server's side, whoever dialled.
      // Past QUIT, because the server answered it (221) and closed its side before the client could see
      // its close and hand the address on; but the server's event loop may run the next worker's accept
      // before the close callback of that connection (libuv runs close callbacks after the poll phase).
      peer.server.on('connection', () => {
        const open = peer.connections.filter(
          (c) => c.closedAt === undefined && !c.commands.some((q) => /^QUIT\b/i.test(q)),
        ).length;
        counting.peak = Math.max(counting.peak, open);
      });
      port = await listen(peer.server, host, port);
      peers.push(counting);
    }
    DOMAINS.forEach((d, i) => {
      const host = MX_HOSTS[i % MX_HOSTS.length]!;
      dns.set(...mailDomainRecords(d, [{ name: `mx${i % MX_HOSTS.length}.fleet.test`, addresses: [host] }]));
    });
    dir = mkdtempSync(join(tmpdir(), 'checker-smtp-fleet-'));
  });

  after(async () => {
    await Promise.all(peers.map((p) => p.peer.close()));
    peers = [];
    await dns?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives exactly one line per domain after a worker is SIGKILLed mid-job, one connection per address fleet-wide', async () => {
    const list = join(dir, 'domains.txt');
    const out = join(dir, 'results.jsonl');
    writeFileSync(list, `${DOMAINS.join('\n')}\n`);
    const workerArgs = (source: string) => [
      '--queue',
      redis.url,
      '--resolver',
      dns.address,
      '--port',
      String(port),
      '--source-address',
      source,
      '--stall-timeout',
      STALL_TIMEOUT_S,
      '--concurrency',
      '20',
    ];
    const workers: BatchRun[] = WORKER_SOURCES.map((source) => startBatch(workerArgs(source), { command: 'worker' }));
    const coordinator = startBatch([
      list,
      '--queue',
      redis.url,
      '--out',
      out,
      '--timeout',
      '5',
      '--concurrency',
      COORDINATOR_CONCURRENCY,
    ]);
    try {
      // Kill the first worker while it holds a connection to a peer: it is in the middle of a job.
      const victim = WORKER_SOURCES[0]!;
      const killedIn = await new Promise<string[]>((resolve, reject) => {
        const timer = setInterval(() => {
          for (const p of peers) {
            const live = p.peer.connections.find(
              (c) => c.remoteAddress === victim && c.closedAt === undefined && c.commands.length > 0,
            );
            if (live) {
              clearInterval(timer);
              workers[0]!.child.kill('SIGKILL');
              resolve(
                live.commands
                  .flatMap((c) => /^RCPT TO:<postmaster@([^>]+)>/i.exec(c)?.[1] ?? [])
                  .map((d) => d.toLowerCase()),
              );
              return;
            }
          }
          if (coordinator.child.exitCode !== null)
            reject(new Error(`the coordinator ended first:\n${coordinator.stderr()}`));
        }, 5);
      });
      const result = await coordinator.done;
      assert.equal(result.code, 0, result.stderr);

      const lines = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as BatchLine);
      const counts = new Map<string, number>();
      for (const l of lines) counts.set(l.domain, (counts.get(l.domain) ?? 0) + 1);
      assert.equal(lines.length, DOMAINS.length, 'one line per domain, no more');
      assert.deepEqual([...counts.keys()].sort(), [...DOMAINS].sort());
      const broken = lines.filter((l) => l.error !== undefined || l.facts?.reachable !== 1);
      assert.deepEqual(
        broken.map((l) => `${l.domain}: ${l.error ?? JSON.stringify(l.facts)}`),
        [],
      );

      // The killed worker's domains were redone by the survivors, and written once.
      for (const d of killedIn) assert.equal(counts.get(d), 1, d);
      const after = (source: string) =>
        peers.flatMap((p) => p.peer.connections).filter((c) => c.remoteAddress === source).length;
      assert.ok(after(WORKER_SOURCES[1]!) + after(WORKER_SOURCES[2]!) > 0, 'the other workers probed');

      for (const p of peers) assert.equal(p.peak, 1, `${p.host}: at most one connection open at once across the fleet`);
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      coordinator.child.kill('SIGKILL');
      await Promise.all([...workers.map((w) => w.done), coordinator.done]);
    }
  });
  it('a coordinator killed mid-run refuses a fresh start, and with --resume picks up the queue: one line per domain', async () => {
    const list = join(dir, 'resume.txt');
    const out = join(dir, 'resume.jsonl');
    const domains = DOMAINS.slice(0, 60);
    writeFileSync(list, `${domains.join('\n')}\n`);
    const coordinatorArgs = [list, '--queue', redis.url, '--out', out, '--timeout', '5', '--concurrency', '40'];
    // No worker yet: the first coordinator only fills the queue, then dies.
    const first = startBatch(coordinatorArgs);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/Batch \S+ on redis:/.test(first.stderr())) {
          clearInterval(timer);
          // Give it a moment to enqueue its first chunks.
          setTimeout(resolve, 500);
        } else if (first.child.exitCode !== null) reject(new Error(first.stderr()));
      }, 20);
    });
    first.child.kill('SIGKILL');
    await first.done;

    const fresh = await startBatch([
      ...coordinatorArgs.filter((a) => a !== out && a !== '--out'),
      '--out',
      join(dir, 'other.jsonl'),
    ]).done;
    assert.equal(fresh.code, 3);
    assert.match(
      fresh.stderr,
      /The queue already holds batch "[^"]+" \(started [^)]+\) with \d+ jobs not yet written: go on with it with --resume --out FILE/,
    );

    const worker = startBatch(
      ['--queue', redis.url, '--resolver', dns.address, '--port', String(port), '--stall-timeout', STALL_TIMEOUT_S],
      { command: 'worker' },
    );
    try {
      const resumed = await startBatch([...coordinatorArgs, '--resume']).done;
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, /jobs of it still queued, waited for/);
      const lines = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as BatchLine);
      assert.deepEqual(lines.map((l) => l.domain).sort(), [...domains].sort(), 'exactly one line per domain');
      assert.ok(lines.every((l) => l.error === undefined));
    } finally {
      worker.child.kill('SIGTERM');
      const stopped = await worker.done;
      assert.equal(stopped.code, 0, 'a worker stopped by SIGTERM finishes its jobs and exits 0');
      assert.match(stopped.stderr, /Stopped: \d+ jobs done/);
    }
  });
});

describe('checker-smtp worker and batch --queue: usage', () => {
  it('refuses a worker without --queue, probing flags on a coordinator and an unreachable queue, exit 3', async () => {
    const noQueue = await startBatch([], { command: 'worker' }).done;
    assert.equal(noQueue.code, 3);
    assert.match(noQueue.stderr, /--queue redis:\/\/HOST:PORT\[\/DB\] is required/);
    const probing = await startBatch([
      '-',
      '--queue',
      'redis://127.0.0.1:1',
      '--resolver',
      '127.0.0.1',
      '--egress-canary',
      'none',
    ]).done;
    assert.equal(probing.code, 3);
    assert.match(
      probing.stderr,
      /--resolver, --egress-canary: with --queue the workers probe; give them to checker-smtp worker/,
    );
    const badUrl = await startBatch(['--queue', 'http://127.0.0.1:6379'], { command: 'worker' }).done;
    assert.equal(badUrl.code, 3);
    assert.match(badUrl.stderr, /--queue "http:\/\/127\.0\.0\.1:6379\/" is not a redis:\/\/ URL/);
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const unreachable = await startBatch(['--queue', 'redis://127.0.0.1:1'], { command: 'worker' }).done;
    assert.equal(unreachable.code, 3);
    assert.match(unreachable.stderr, /Cannot reach the queue redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
  });
});
