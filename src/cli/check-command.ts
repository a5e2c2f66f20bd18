/**
 * `checker-smtp check DOMAIN`: collect, evaluate, print. Exit codes follow
 * monitoring plugins: 0 OK/INFO, 1 WARN, 2 CRIT, 3 UNKNOWN/ERROR or bad usage.
 */
import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { collect } from '../collect/collect.js';
import { evaluate } from '../rules/index.js';
import { CheckerError, type CheckerErrorDetails } from '../model/errors.js';
import { quote, quoteAtMost } from '../model/text.js';
import { MAX_ENDPOINTS_CEILING } from '../model/limits.js';
import { exitCodeFor } from '../model/status.js';
import { parseEgressCanaries, parsePort, parseResolver } from '../config/settings.js';
import { verdictStatus } from '../presentation/view-model.js';
import { renderReport } from '../presentation/html/render-report.js';
import { renderText } from '../presentation/text/render-text.js';
import { createProgress } from './progress.js';

export const CHECK_USAGE = `Usage: checker-smtp check DOMAIN [options]

Probe every MX endpoint of DOMAIN (greeting, EHLO, STARTTLS, null sender,
postmaster and open-relay probes stopped at RCPT, reverse DNS) and report.

Options:
  --json                 print one JSON object {domain, observation, states}
  --html FILE            also write the HTML report (self-contained) to FILE
  --timeout S            time budget per endpoint, connect to QUIT (default 12)
  --helo NAME            EHLO/HELO name (default mx-checker.happydomain.org)
  --mail-from ADDR       sender of the postmaster and open-relay probes
                         (default postmaster@ the EHLO name; its domain must
                         resolve for servers that verify senders)
  --probe-address ADDR   outside recipient for the open-relay probe
                         (default postmaster@example.com)
  --no-null-sender       do not probe MAIL FROM:<>
  --no-postmaster        do not probe RCPT TO:<postmaster@DOMAIN>
  --no-open-relay        do not probe relaying to an outside recipient
  --resolver IP[:PORT]   DNS resolver to ask (default: the system's)
  --port N               SMTP port to probe (default 25)
  --max-endpoints N      endpoints (addresses) probed at most, spread over the
                         10 best MX hosts; the rest are reported as not probed
                         (default 32, at most 256)
  --egress-canary HOST[:PORT]
                         when no endpoint answers, dial this to tell a blocked
                         port 25 here from dead servers (default: large public
                         MX hosts: gmail-smtp-in.l.google.com, …; "none": off)
  --color / --no-color   force colours on or off (default: on for a terminal, off with NO_COLOR)
  -h, --help             show this help

Exit status: 0 OK/INFO, 1 WARN, 2 CRIT, 3 UNKNOWN/ERROR (could not be tested,
e.g. port 25 blocked here) or bad usage.`;

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** A command line that does not parse; the CLI prints the message and the command's usage. */
export class UsageError extends CheckerError {
  constructor(message: string, details: Pick<CheckerErrorDetails, 'cause'> = {}) {
    super('usage.invalid', message, details);
  }
}

export async function runCheck(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        html: { type: 'string' },
        timeout: { type: 'string' },
        helo: { type: 'string' },
        'probe-address': { type: 'string' },
        'mail-from': { type: 'string' },
        'no-null-sender': { type: 'boolean' },
        'no-postmaster': { type: 'boolean' },
        'no-open-relay': { type: 'boolean' },
        resolver: { type: 'string' },
        port: { type: 'string' },
        'max-endpoints': { type: 'string' },
        'egress-canary': { type: 'string', multiple: true },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${CHECK_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'Missing DOMAIN: which domain should be checked?'
        : `Expected one DOMAIN, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }

  const raw: Record<string, unknown> = {
    domain: positionals[0],
    timeout: values.timeout,
    helo_name: values.helo,
    test_probe_address: values['probe-address'],
    test_mail_from: values['mail-from'],
    test_null_sender: !values['no-null-sender'],
    test_postmaster: !values['no-postmaster'],
    test_open_relay: !values['no-open-relay'],
  };
  const resolver = values.resolver !== undefined ? parseResolver(values.resolver) : null;
  const port = values.port !== undefined ? parsePort(values.port) : undefined;
  const maxEndpoints = values['max-endpoints'] !== undefined ? parseMaxEndpoints(values['max-endpoints']) : undefined;
  const canaries = values['egress-canary'];
  const egressCanary = canaries !== undefined ? parseEgressCanaries(canaries.join(',')) : undefined;
  const color = values['no-color'] ? false : values.color ? true : Boolean(io.stdout.isTTY) && !io.env['NO_COLOR'];

  const htmlFile = values.html !== undefined ? htmlTarget(values.html) : null;
  const progress = !values.json && io.stderr.isTTY ? createProgress(io.stderr) : null;
  let observation;
  try {
    observation = await collect(raw, {
      resolver,
      ...(port ? { port } : {}),
      ...(maxEndpoints !== undefined ? { maxEndpoints } : {}),
      ...(egressCanary ? { egressCanary } : {}),
      ...(progress ? { onProgress: progress.update } : {}),
    });
  } finally {
    progress?.done();
  }
  const states = evaluate(observation);
  if (htmlFile !== null) writeHtml(htmlFile, renderReport(observation, { states }));
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ domain: observation.domain, observation, states })}\n`);
  } else {
    io.stdout.write(renderText(observation, states, { color }));
  }
  // The verdict's status, not merely the worst state: "could not be tested" (port 25 blocked here) exits 3.
  return exitCodeFor(verdictStatus(observation, states));
}

/** --max-endpoints, refused before anything is looked up or dialled when it is not a whole number in range. */
function parseMaxEndpoints(input: string): number {
  const n = /^\s*\d+\s*$/.test(input) ? Number(input) : NaN;
  if (!(n >= 1 && n <= MAX_ENDPOINTS_CEILING))
    throw new UsageError(
      `--max-endpoints must be a whole number from 1 to ${MAX_ENDPOINTS_CEILING}, got ${quote(input)}.`,
    );
  return n;
}

/**
 * The --html target, checked before any connection opens: a report that
 * cannot be saved should not cost a probe of every MX first.
 */
function htmlTarget(file: string): string {
  if (file.trim() === '') throw new UsageError('--html needs a file name.');
  const dir = dirname(resolve(file));
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new CheckerError(
      'output.unwritable',
      `Cannot write the HTML report to ${quotePath(file)}: directory ${quotePath(dir)} is missing or not writable (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
      { cause: err },
    );
  }
  return file;
}

/** A path is quoted whole: cut, it no longer says which file. */
function quotePath(path: string): string {
  return quoteAtMost(path, Number.POSITIVE_INFINITY);
}

function writeHtml(file: string, html: string): void {
  try {
    writeFileSync(file, html);
  } catch (err) {
    throw new CheckerError(
      'output.unwritable',
      `Cannot write the HTML report to ${quotePath(file)}: ${(err as Error).message}.`,
      { cause: err },
    );
  }
}

/** Errors the user can fix get their message; anything else is our bug and shows its stack. */
export function describeFailure(err: unknown): string {
  if (err instanceof CheckerError) return err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
