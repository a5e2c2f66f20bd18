/**
 * `checker-smtp batch [FILE|-]`: check a list of domains on this machine,
 * one JSON line per domain, resumable, with a fleet summary. The pieces are
 * in src/fleet (input, unit of work, loop, output) and src/presentation
 * (summary, comparison); this file reads the flags, wires them, handles
 * Ctrl-C and prints the summary.
 */
import { TlsSessions } from '../collect/tls/tls-sessions.js';
import { accessSync, constants, createReadStream, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createConnectionGate } from '../collect/connection-gate.js';
import { createDnsCache, withDnsCache } from '../collect/dns/dns-cache.js';
import { createDnsClient } from '../collect/dns/dns-client.js';
import { assertSourceAddressesUsable } from '../collect/source-address-check.js';
import { parseOptions } from '../config/options.js';
import { parseEgressCanaries, parsePort, parseResolver } from '../config/settings.js';
import { parseSourceAddresses } from '../config/source-address.js';
import { parseQueueUrl, parseStoreUrl } from '../config/backend-url.js';
import { parseBatchLine } from '../model/batch-line.js';
import { CheckerError } from '../model/errors.js';
import {
  BATCH_CHUNK_DOMAINS,
  BATCH_DEFAULT_CONCURRENCY,
  BATCH_INTERRUPT_GRACE_MS,
  BATCH_MAX_CONCURRENCY,
  BATCH_MIN_CHUNKS_IN_FLIGHT,
  BATCH_PROGRESS_INTERVAL_MS,
  FLEET_QUEUED_DOMAINS_DEFAULT,
  FLEET_QUEUED_DOMAINS_MAX,
} from '../model/fleet-limits.js';
import { MAX_OPEN_CONNECTIONS } from '../model/limits.js';
import { NameSet } from '../model/name-key.js';
import { quote } from '../model/text.js';
import { FleetComparison, PreviousRun } from '../presentation/fleet-compare.js';
import { FleetAggregator } from '../presentation/fleet-summary.js';
import { renderFleetReport } from '../presentation/html/render-fleet.js';
import { renderFleetText } from '../presentation/text/fleet-text.js';
import { openFileOutput, quotePath, readLineFile, streamWriter, type LineWriter } from '../fleet/batch-output.js';
import { checkChunk, type ChunkSettings } from '../fleet/check-chunk.js';
import { emptyInputStats, readDomains, type InputStats } from '../fleet/domain-source.js';
import { createResultSink, dedupeSink } from '../fleet/result-sink.js';
import { startCoordinator, validBatchId, type Coordinator } from '../fleet/coordinator.js';
import { connectRedis } from '../fleet/fleet-queue.js';
import { openResultStore, type ResultStore } from '../fleet/result-store.js';
import { withoutObservation } from '../presentation/fleet-line.js';
import type { Redis } from 'ioredis';
import { runBatchLoop } from '../fleet/run-batch.js';
import { createBatchProgress, formatDuration } from './batch-progress.js';
import { PROBE_FLAGS, UsageError, type CliIo } from './check-command.js';

export const BATCH_USAGE = `Usage: checker-smtp batch [FILE|-] [options]

Check every domain of FILE (one per line; "-" or nothing: standard input) and
write one JSON line per domain: {"domain", "input_line", "checked_at", "status",
"status_name", "states", "facts", "error"?, "observation"?}, status as check's
exit code (0 OK/INFO, 1 WARN, 2 CRIT, 3 UNKNOWN/ERROR). Blank lines and "#"
comments are skipped, URLs and e-mail addresses reduced to their domain,
duplicates dropped; a line that names no domain gets an error line.

Options:
  --out FILE             write the results to FILE (default: standard output)
  --resume               go on with FILE's run: skip the domains already in it
  --full                 keep each domain's whole observation in its line
  --summary FILE.html    write the fleet summary (self-contained HTML)
  --compare PREV.jsonl   say what changed since a previous run's output
  --concurrency N        domains in flight (default ${BATCH_DEFAULT_CONCURRENCY})
  --connections-per-address N
                         SMTP connections open at once to one address (default 1)
  --source-address IP    send from this address of the machine (one IPv4 and/or
                         one IPv6: repeat the flag or give a comma-separated list)
  --timeout S, --helo NAME, --mail-from ADDR, --probe-address ADDR,
  --no-null-sender, --no-postmaster, --no-open-relay, --resolver IP[:PORT],
  --port N, --egress-canary HOST[:PORT]|none
                         as for check (see: checker-smtp check --help)
  --store postgres://USER@HOST[:PORT]/DB
                         also write every result to PostgreSQL (table smtp_checks)
  --batch-id NAME        the batch's name in the store (default: its start time)
  --chunk N              domains checked together (sessions are shared within a
                         chunk; with --queue, a job); default ${BATCH_CHUNK_DOMAINS}, fewer when
                         --concurrency is below ${BATCH_CHUNK_DOMAINS * BATCH_MIN_CHUNKS_IN_FLIGHT}
  --queue redis://HOST:PORT[/DB]
                         coordinate workers (checker-smtp worker) instead of
                         checking here: enqueue the list, write the results as
                         they come; --concurrency is then the domains kept
                         queued (default ${FLEET_QUEUED_DOMAINS_DEFAULT}); the probing flags go to the workers
  -h, --help             show this help

Ctrl-C stops taking domains, lets those in flight finish (${BATCH_INTERRUPT_GRACE_MS / 1000} s at most; Ctrl-C
again: at once) and exits 130; --resume then goes on where it stopped.

Exit status: 0 every domain has its line (whatever its status), 3 bad usage or
an output that cannot be written, 130 interrupted (143 on SIGTERM).`;

export interface BatchIo extends CliIo {
  stdin?: Readable | undefined;
}

/** Most connections to one address we let an operator ask for: beyond this a batch is a flood, not a check. */
export const MAX_CONNECTIONS_PER_ADDRESS_FLAG = 16;

const EXIT_INTERRUPTED: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

export function integerFlag(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}, got ${quote(value)}.`);
  return n;
}

/** The summary's directory must be writable before the first probe: a summary that cannot be saved is found out at once. */
function writableTarget(flag: string, file: string): string {
  if (file.trim() === '') throw new UsageError(`${flag} needs a file name.`);
  const dir = dirname(resolve(file));
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new CheckerError(
      'output.unwritable',
      `Cannot write ${quotePath(file)}: directory ${quotePath(dir)} is missing or not writable (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
      { cause: err },
    );
  }
  return file;
}

function parseBatchArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string' },
        resume: { type: 'boolean' },
        full: { type: 'boolean' },
        summary: { type: 'string' },
        compare: { type: 'string' },
        concurrency: { type: 'string' },
        'connections-per-address': { type: 'string' },
        'source-address': { type: 'string', multiple: true },
        ...PROBE_FLAGS,
        queue: { type: 'string' },
        chunk: { type: 'string' },
        store: { type: 'string' },
        'batch-id': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

/** Candidate lines of a file (not blank, not a comment): the progress total. A quick streamed pass. */
async function countCandidates(file: string): Promise<number> {
  let n = 0;
  await readLineFile(file, (text) => {
    const t = text.trim();
    if (t !== '' && !t.startsWith('#')) n++;
  });
  return n;
}

export async function runBatch(argv: string[], io: BatchIo): Promise<number> {
  const { values, positionals } = parseBatchArgs(argv);
  if (values.help) {
    io.stdout.write(`${BATCH_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1)
    throw new UsageError(
      `Expected one FILE (or "-" for standard input), got ${positionals.length}: ${positionals.join(' ')}`,
    );
  const input = positionals[0] ?? '-';
  const out = values.out ?? null;
  if (values.resume && out === null) throw new UsageError('--resume needs --out FILE: it goes on with that file.');

  // Everything a user typed is checked before any file is touched or any connection opened.
  const rawOptions: Record<string, unknown> = {
    timeout: values.timeout,
    helo_name: values.helo,
    test_probe_address: values['probe-address'],
    test_mail_from: values['mail-from'],
    test_null_sender: !values['no-null-sender'],
    test_postmaster: !values['no-postmaster'],
    test_open_relay: !values['no-open-relay'],
  };
  parseOptions({ ...rawOptions, domain: 'example.com' });
  const resolver = values.resolver !== undefined ? parseResolver(values.resolver) : null;
  const port = values.port !== undefined ? parsePort(values.port) : undefined;
  const canaries = values['egress-canary'];
  const egressCanary = canaries !== undefined ? parseEgressCanaries(canaries.join(',')) : undefined;
  const chunkFlag = values.chunk !== undefined ? integerFlag('chunk', values.chunk, 1, BATCH_CHUNK_DOMAINS) : null;
  const queueAddress = values.queue !== undefined ? parseQueueUrl(values.queue) : null;
  const storeAddress = values.store !== undefined ? parseStoreUrl(values.store) : null;
  const batchId = values['batch-id'] !== undefined ? validBatchId(values['batch-id']) : undefined;
  if (queueAddress !== null) {
    // The workers probe; a probing flag here would be silently ignored, so it is refused.
    const probing = (
      ['resolver', 'port', 'egress-canary', 'source-address', 'connections-per-address'] as const
    ).filter((f) => values[f] !== undefined);
    if (probing.length > 0)
      throw new UsageError(
        `${probing.map((f) => `--${f}`).join(', ')}: with --queue the workers probe; give ${probing.length === 1 ? 'it' : 'them'} to checker-smtp worker.`,
      );
  }
  const concurrency =
    queueAddress !== null
      ? integerFlag('concurrency', values.concurrency, FLEET_QUEUED_DOMAINS_DEFAULT, FLEET_QUEUED_DOMAINS_MAX)
      : integerFlag('concurrency', values.concurrency, BATCH_DEFAULT_CONCURRENCY, BATCH_MAX_CONCURRENCY);
  const perAddress = integerFlag(
    'connections-per-address',
    values['connections-per-address'],
    1,
    MAX_CONNECTIONS_PER_ADDRESS_FLAG,
  );
  const sourceAddress = parseSourceAddresses(values['source-address'] ?? []);
  const summaryFile = values.summary !== undefined ? writableTarget('--summary', values.summary) : null;
  const compareFile = values.compare ?? null;
  if (compareFile !== null && out !== null && resolve(compareFile) === resolve(out))
    throw new UsageError(`--compare ${quote(compareFile)} is the output itself: compare with a previous run's file.`);
  if (input !== '-' && out !== null && resolve(input) === resolve(out))
    throw new UsageError(`The domain list ${quote(input)} is also --out: results would overwrite it.`);
  await assertSourceAddressesUsable(sourceAddress);
  const total = input === '-' ? null : await countCandidates(input);

  // The previous run first (streamed), then the output (resume), both into the same counters as the new lines.
  let comparison: FleetComparison | null = null;
  if (compareFile !== null) {
    const previous = new PreviousRun();
    await readLineFile(compareFile, (text) => {
      const line = parseBatchLine(text);
      if (line) previous.add(line);
    });
    comparison = new FleetComparison(previous, basename(compareFile));
  }
  const summary = new FleetAggregator();
  /** Domains with a line in the output: read back on resume (and with --queue, each one written: the dedupe set). */
  const done = new NameSet();
  let writer: LineWriter | null = null;
  const results = createResultSink(() => writer!, { summary, comparison });
  // Only a queue can deliver a domain twice (a job redone after its worker died); here the source dedupes.
  const sink = queueAddress !== null ? dedupeSink(results, done) : results;
  let unreadable = 0;
  if (out === null) {
    writer = streamWriter(io.stdout);
  } else {
    const opened = await openFileOutput(out, {
      resume: Boolean(values.resume),
      onLine: (text, n) => {
        const line = sink.replay(text, n);
        if (line) done.add(line.domain);
        else unreadable++;
      },
    });
    writer = opened.writer;
    if (opened.existing.truncatedBytes > 0)
      io.stderr.write(
        `${out}: the last line was cut short (${opened.existing.truncatedBytes} bytes, a crash?): removed; that domain is checked again.\n`,
      );
    if (values.resume)
      io.stderr.write(
        `${out}: ${done.size.toLocaleString('en-US')} domains already done${unreadable > 0 ? `, ${unreadable} unreadable lines ignored` : ''}.\n`,
      );
  }

  // The backends, both reachable before the first domain is read (exit 3 with the reason otherwise).
  let store: ResultStore | null = null;
  let redis: Redis | null = null;
  let coordinator: Coordinator | null = null;
  /** Domains already queued by a previous coordinator (--queue --resume): not enqueued again. */
  const queued = new NameSet();
  try {
    if (storeAddress !== null) store = await openResultStore(storeAddress);
    if (queueAddress !== null) {
      redis = await connectRedis(queueAddress);
      coordinator = await startCoordinator({
        redis,
        resume: Boolean(values.resume),
        batchId,
        skip: queued,
        options: rawOptions,
        full: Boolean(values.full),
        sink,
        store,
      });
      io.stderr.write(
        `Batch ${coordinator.batch.id} on ${queueAddress.display}` +
          `${coordinator.leftovers > 0 ? `: ${coordinator.leftovers.toLocaleString('en-US')} jobs of it still queued, waited for` : ''}.\n`,
      );
    }
  } catch (err) {
    await store?.close();
    redis?.disconnect();
    await writer.close();
    throw err;
  }
  const runBatchId =
    coordinator?.batch.id ?? batchId ?? `${new Date().toISOString().slice(0, 19).replaceAll(':', '')}Z`;

  const gate = createConnectionGate({ perAddress, maxOpen: MAX_OPEN_CONNECTIONS });
  const dns = withDnsCache(createDnsClient({ resolver }), createDnsCache());
  const settings: ChunkSettings = {
    // The store keeps every observation, whether the output does or not.
    full: Boolean(values.full) || store !== null,
    collect: {
      options: rawOptions,
      dns,
      gate,
      // One run, one set of TLS sessions: a later chunk resumes what an earlier one negotiated with the same MX.
      tlsSessions: new TlsSessions(),
      ...(port ? { port } : {}),
      ...(egressCanary ? { egressCanary } : {}),
      ...(sourceAddress[4] !== undefined || sourceAddress[6] !== undefined ? { sourceAddress } : {}),
    },
  };

  const stats = emptyInputStats();
  const reducedSaid = new Set<string>();
  const source: Readable = input === '-' ? (io.stdin ?? process.stdin) : createReadStream(input);
  const items = readDomains(source, {
    done: queueAddress === null ? done : { has: (name: string) => done.has(name) || queued.has(name) },
    stats,
    // The first reduction of each kind is said; the rest are counted in the summary.
    onReduced: (line, kind, note) => {
      if (reducedSaid.has(kind)) return;
      reducedSaid.add(kind);
      io.stderr.write(`line ${line}: checking ${note}\n`);
    },
  });

  const progress = createBatchProgress(io.stderr, {
    total,
    tty: Boolean(io.stderr.isTTY),
    intervalMs: BATCH_PROGRESS_INTERVAL_MS,
  });
  const stop = new AbortController();
  const abort = new AbortController();
  let signalled: 'SIGINT' | 'SIGTERM' | null = null;
  let graceTimer: NodeJS.Timeout | undefined;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (signalled !== null) {
      io.stderr.write('\nStopping now: the domains in flight are recorded as not done.\n');
      abort.abort();
      return;
    }
    signalled = sig;
    progress.stop();
    io.stderr.write(
      `\nStopping: no new domains; the ones in flight have ${BATCH_INTERRUPT_GRACE_MS / 1000} s to finish (Ctrl-C again: stop now).\n`,
    );
    stop.abort();
    graceTimer = setTimeout(() => abort.abort(), BATCH_INTERRUPT_GRACE_MS);
    graceTimer.unref();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  const handled = (s: InputStats, checked: number, refused: number) => ({
    handled: checked + refused + s.duplicates + s.alreadyDone,
    checked,
  });
  const started = Date.now();
  const chunkSize =
    chunkFlag ?? Math.max(1, Math.min(BATCH_CHUNK_DOMAINS, Math.ceil(concurrency / BATCH_MIN_CHUNKS_IN_FLIGHT)));
  let result;
  try {
    result = await runBatchLoop({
      items,
      work: coordinator
        ? (chunk, signal) => coordinator.work(chunk, signal)
        : async (chunk, signal) => {
            const outcomes = await checkChunk(chunk, settings, signal);
            if (store === null) return outcomes;
            const lines = outcomes.flatMap((o) => (o.result === null ? [] : [o.result]));
            await store.save(runBatchId, lines);
            return values.full
              ? outcomes
              : outcomes.map((o) => ({ ...o, result: o.result && withoutObservation(o.result) }));
          },
      sink,
      concurrency,
      chunkSize,
      stop: stop.signal,
      abort: abort.signal,
      onProgress: (p) => progress.update(handled(stats, p.checked, p.refused)),
    });
    // A restarted coordinator also waits for the jobs its predecessor queued.
    if (coordinator && result.complete) await coordinator.finishLeftovers(abort.signal);
    if (coordinator && abort.signal.aborted) result = { ...result, complete: false };
  } finally {
    progress.stop();
    await coordinator?.close(result?.complete === true && signalled === null);
    redis?.disconnect();
    await store?.close();
    clearTimeout(graceTimer);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    source.destroy();
    await writer.close();
  }

  const model = summary.model();
  const comparisonModel = comparison?.model() ?? null;
  const elapsed = Date.now() - started;
  const perMinute = elapsed > 0 ? Math.round((result.checked / elapsed) * 60_000) : 0;
  const notes: string[] = [];
  const said = [
    [stats.duplicates, 'duplicate dropped', 'duplicates dropped'],
    [stats.alreadyDone, 'already in the output', 'already in the output'],
    [stats.reduced.url, 'URL reduced to its domain', 'URLs reduced to their domain'],
    [stats.reduced.email, 'e-mail address reduced to its domain', 'e-mail addresses reduced to their domain'],
    [stats.refused, 'line naming no domain (an error line)', 'lines naming no domain (error lines)'],
  ] as const;
  for (const [count, one, many] of said)
    if (count > 0) notes.push(`${count.toLocaleString('en-US')} ${count === 1 ? one : many}`);
  io.stderr.write(
    `\nChecked ${result.checked.toLocaleString('en-US')} domains in ${formatDuration(elapsed)} (${perMinute.toLocaleString('en-US')}/min)` +
      `${notes.length > 0 ? `; ${notes.join(', ')}` : ''}.\n`,
  );
  io.stderr.write(
    renderFleetText({ summary: model, comparison: comparisonModel, output: out === null ? null : basename(out) }),
  );
  if (summaryFile !== null) {
    const href = out === null ? null : relative(dirname(resolve(summaryFile)), resolve(out)) || basename(out);
    try {
      writeFileSync(
        summaryFile,
        renderFleetReport({
          summary: model,
          comparison: comparisonModel,
          resultsHref: href,
          generatedAt: new Date().toISOString(),
        }),
      );
    } catch (err) {
      throw new CheckerError(
        'output.unwritable',
        `Cannot write the summary to ${quotePath(summaryFile)}: ${(err as Error).message}.`,
        {
          cause: err,
        },
      );
    }
    io.stderr.write(`Summary: ${summaryFile}\n`);
  }
  if (signalled !== null || !result.complete) {
    io.stderr.write(
      `Interrupted: ${result.notDone.toLocaleString('en-US')} domains in flight were not finished and the rest of the list was not read; ` +
        `run again with --resume${out === null ? ' and --out FILE' : ''} to go on.\n`,
    );
    return signalled !== null ? EXIT_INTERRUPTED[signalled] : 3;
  }
  return 0;
}
