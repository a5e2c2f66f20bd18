/**
 * `checker-smtp worker --queue redis://HOST:PORT[/DB]`: one worker of a
 * distributed batch. Takes chunks of domains from the queue a coordinator
 * (`batch --queue`) fills, checks them with this machine's deployment
 * settings, and hands the lines back (and to PostgreSQL with --store).
 * Runs until stopped: the first SIGINT/SIGTERM finishes the jobs in hand,
 * a second one stops at once (the jobs go back to the queue once their
 * locks expire, --stall-timeout).
 */
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { createDnsCache, withDnsCache } from '../collect/dns/dns-cache.js';
import { createDnsClient } from '../collect/dns/dns-client.js';
import { assertSourceAddressesUsable } from '../collect/source-address-check.js';
import { parseQueueUrl, parseStoreUrl } from '../config/backend-url.js';
import { parseEgressCanaries, parsePort, parseResolver } from '../config/settings.js';
import { parseSourceAddresses } from '../config/source-address.js';
import { startFleetWorker } from '../fleet/fleet-worker.js';
import { connectRedis } from '../fleet/fleet-queue.js';
import { openResultStore, type ResultStore } from '../fleet/result-store.js';
import {
  BATCH_DEFAULT_CONCURRENCY,
  BATCH_MAX_CONCURRENCY,
  BATCH_PROGRESS_INTERVAL_MS,
  FLEET_MAX_CONNECTIONS_PER_MINUTE,
  FLEET_MAX_STALL_TIMEOUT_MS,
  FLEET_MIN_STALL_TIMEOUT_MS,
  FLEET_STALL_TIMEOUT_MS,
} from '../model/fleet-limits.js';
import { quote } from '../model/text.js';
import { MAX_CONNECTIONS_PER_ADDRESS_FLAG, integerFlag } from './batch-command.js';
import { UsageError, type CliIo } from './check-command.js';

export const WORKER_USAGE = `Usage: checker-smtp worker --queue redis://HOST:PORT[/DB] [options]

Check the domains a coordinator (checker-smtp batch --queue) puts in the
queue, on as many machines as wanted; runs until stopped. The check options
(--timeout, --helo, probes…) come from the coordinator; these are this
machine's:

Options:
  --queue redis://HOST:PORT[/DB]   the coordinator's queue (required)
  --store postgres://USER@HOST[:PORT]/DB
                         also write every result to PostgreSQL (table smtp_checks)
  --concurrency N        domains in flight on this worker (default ${BATCH_DEFAULT_CONCURRENCY})
  --connections-per-address N
                         SMTP connections open at once to one address across
                         the whole fleet (default 1; give every worker the same)
  --connections-per-minute N
                         new connections to one address per minute across the
                         fleet (default: no cap)
  --stall-timeout S      a dead worker's jobs and address leases are taken back
                         after S seconds (default ${FLEET_STALL_TIMEOUT_MS / 1000})
  --source-address IP, --resolver IP[:PORT], --port N, --egress-canary HOST[:PORT]|none
                         as for batch
  -h, --help             show this help

Exit status: 0 stopped by SIGINT/SIGTERM after finishing its jobs, 3 bad usage
or a queue or store that cannot be reached at start.`;

function parseWorkerArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        queue: { type: 'string' },
        store: { type: 'string' },
        concurrency: { type: 'string' },
        'connections-per-address': { type: 'string' },
        'connections-per-minute': { type: 'string' },
        'stall-timeout': { type: 'string' },
        'source-address': { type: 'string', multiple: true },
        resolver: { type: 'string' },
        port: { type: 'string' },
        'egress-canary': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

/** --stall-timeout in seconds (decimals allowed: tests use short ones), within its bounds. */
function stallTimeoutMs(value: string | undefined): number {
  if (value === undefined) return FLEET_STALL_TIMEOUT_MS;
  const s = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  const ms = Math.round(s * 1000);
  if (!Number.isFinite(ms) || ms < FLEET_MIN_STALL_TIMEOUT_MS || ms > FLEET_MAX_STALL_TIMEOUT_MS)
    throw new UsageError(
      `--stall-timeout must be a number of seconds from ${FLEET_MIN_STALL_TIMEOUT_MS / 1000} to ${FLEET_MAX_STALL_TIMEOUT_MS / 1000}, got ${quote(value)}.`,
    );
  return ms;
}

export async function runWorker(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseWorkerArgs(argv);
  if (values.help) {
    io.stdout.write(`${WORKER_USAGE}\n`);
    return 0;
  }
  if (values.queue === undefined)
    throw new UsageError("--queue redis://HOST:PORT[/DB] is required: the coordinator's queue.");
  const queueAddress = parseQueueUrl(values.queue);
  const storeAddress = values.store !== undefined ? parseStoreUrl(values.store) : null;
  const concurrency = integerFlag('concurrency', values.concurrency, BATCH_DEFAULT_CONCURRENCY, BATCH_MAX_CONCURRENCY);
  const perAddress = integerFlag(
    'connections-per-address',
    values['connections-per-address'],
    1,
    MAX_CONNECTIONS_PER_ADDRESS_FLAG,
  );
  const perMinute =
    values['connections-per-minute'] !== undefined
      ? integerFlag('connections-per-minute', values['connections-per-minute'], 0, FLEET_MAX_CONNECTIONS_PER_MINUTE)
      : null;
  const stallMs = stallTimeoutMs(values['stall-timeout']);
  const resolver = values.resolver !== undefined ? parseResolver(values.resolver) : null;
  const port = values.port !== undefined ? parsePort(values.port) : undefined;
  const canaries = values['egress-canary'];
  const egressCanary = canaries !== undefined ? parseEgressCanaries(canaries.join(',')) : undefined;
  const sourceAddress = parseSourceAddresses(values['source-address'] ?? []);
  await assertSourceAddressesUsable(sourceAddress);

  let store: ResultStore | null = null;
  let redis: Redis;
  let lastError = '';
  try {
    if (storeAddress !== null) store = await openResultStore(storeAddress);
    redis = await connectRedis(queueAddress, (err) => {
      // Said once per distinct trouble: ioredis retries every few hundred milliseconds.
      if (err.message !== lastError) io.stderr.write(`queue ${queueAddress.display}: ${err.message} (retrying)\n`);
      lastError = err.message;
    });
  } catch (err) {
    await store?.close();
    throw err;
  }

  let domains = 0;
  let failed = 0;
  const worker = startFleetWorker({
    redis,
    collect: {
      dns: withDnsCache(createDnsClient({ resolver }), createDnsCache()),
      ...(port ? { port } : {}),
      ...(egressCanary ? { egressCanary } : {}),
      ...(sourceAddress[4] !== undefined || sourceAddress[6] !== undefined ? { sourceAddress } : {}),
    },
    perAddress,
    perMinute,
    concurrency,
    stallMs,
    store,
    onJob: (e) => {
      if (e.error !== undefined) {
        failed++;
        io.stderr.write(`job ${e.id} (${e.domains} domains) failed: ${e.error}\n`);
      } else domains += e.domains;
    },
  });
  io.stderr.write(
    `Worker on ${queueAddress.display}: ${concurrency} domains in flight, ${perAddress} connection${perAddress === 1 ? '' : 's'} per address across the fleet` +
      `${perMinute !== null ? `, ${perMinute} a minute` : ''}${store !== null ? `, storing to ${storeAddress!.display}` : ''}.\n`,
  );
  let said = -1;
  const progress = setInterval(() => {
    if (worker.finished === said) return;
    said = worker.finished;
    io.stderr.write(
      `${worker.finished.toLocaleString('en-US')} jobs done (${domains.toLocaleString('en-US')} domains), ${failed} failed\n`,
    );
  }, BATCH_PROGRESS_INTERVAL_MS);
  progress.unref();

  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    let first: NodeJS.Signals | null = null;
    const on = (sig: NodeJS.Signals) => {
      if (first !== null) {
        io.stderr.write('Stopping now: the jobs in hand go back to the queue once their locks expire.\n');
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
      first = sig;
      io.stderr.write('Stopping: finishing the jobs in hand (again: stop now).\n');
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
  await stopped;
  clearInterval(progress);
  await worker.close();
  redis.disconnect();
  await store?.close();
  io.stderr.write(
    `Stopped: ${worker.finished.toLocaleString('en-US')} jobs done (${domains.toLocaleString('en-US')} domains).\n`,
  );
  return 0;
}
