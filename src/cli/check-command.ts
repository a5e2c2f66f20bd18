/**
 * `checker-smtp check DOMAIN`: collect, evaluate, print. Exit codes follow
 * monitoring plugins: 0 OK/INFO, 1 WARN, 2 CRIT, 3 UNKNOWN/ERROR or bad usage.
 */
import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { collect, type CollectSettings } from '../collect/collect.js';
import { evaluate } from '../rules/index.js';
import { CheckerError } from '../model/errors.js';
import type { Observation } from '../model/observation.js';
import { quote, quoteAtMost, sanitize } from '../model/text.js';
import { MAX_ENDPOINTS_CEILING } from '../model/limits.js';
import { exitCodeFor, type CheckState } from '../model/status.js';
import { domainFromInput } from '../config/domain-input.js';
import { parseOptions } from '../config/options.js';
import { parseMxHosts } from '../config/mx-hosts.js';
import { parseEgressCanaries, parsePort, parseResolver } from '../config/settings.js';
import { verdictStatus, verdictSummary } from '../presentation/view-model.js';
import { renderReport } from '../presentation/html/render-report.js';
import { DEFAULT_WIDTH, renderText } from '../presentation/text/render-text.js';
import { renderNagios } from '../presentation/nagios.js';
import { parseCommandLine } from './args.js';
import { createProgress } from './progress.js';
import { UsageError } from './usage-error.js';

export { UsageError };

export const CHECK_USAGE = `Usage: checker-smtp check DOMAIN [options]

Probe every MX endpoint of DOMAIN (greeting, EHLO, STARTTLS, null sender,
postmaster and open-relay probes stopped at RCPT, reverse DNS) and report.
DOMAIN may be pasted as a web or mail address: https://shop.example/cart and
user@shop.example both check shop.example.

Options:
  --format FORMAT        text (default: the terminal report), json (one JSON
                         object {domain, verdict, observation, states}) or
                         nagios (a monitoring plugin's status line and
                         performance data)
  --json                 the same as --format json
  -v, --verbose          text: also the DNS facts and each endpoint's dialogue
  --html FILE            also write the HTML report (self-contained) to FILE
  --mx HOST[:PORT][,...] probe these hosts (names or IP addresses) as the MX
                         set instead of looking it up: test a server before
                         publishing it, as swaks --server does
  -4, -6                 probe only the IPv4 (-4) or IPv6 (-6) endpoints
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
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

/** What --format takes; --json is the second spelling of json. */
const FORMATS = ['text', 'json', 'nagios'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** The flags of `check` (and, with their own additions, of `demo`): the report's, then the probe's. */
export const REPORT_FLAGS = {
  json: { type: 'boolean' },
  format: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  html: { type: 'string' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The probe and deployment flags every command that checks domains takes (check, demo, batch, worker). */
export const PROBE_FLAGS = {
  timeout: { type: 'string' },
  helo: { type: 'string' },
  'probe-address': { type: 'string' },
  'mail-from': { type: 'string' },
  'no-null-sender': { type: 'boolean' },
  'no-postmaster': { type: 'boolean' },
  'no-open-relay': { type: 'boolean' },
  resolver: { type: 'string' },
  port: { type: 'string' },
  'egress-canary': { type: 'string', multiple: true },
} as const;

const CHECK_FLAGS = {
  ...REPORT_FLAGS,
  ...PROBE_FLAGS,
  'max-endpoints': { type: 'string' },
  mx: { type: 'string', multiple: true },
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
} as const;

/** What each string flag takes, for messages ("--timeout needs a value: --timeout S."). */
const VALUE_NAMES = {
  format: 'text|json|nagios',
  html: 'FILE',
  timeout: 'S',
  helo: 'NAME',
  'probe-address': 'ADDR',
  'mail-from': 'ADDR',
  resolver: 'IP[:PORT]',
  port: 'N',
  'max-endpoints': 'N',
  mx: 'HOST[:PORT][,...]',
  'egress-canary': 'HOST[:PORT]|none',
} as const;

/** How the report is written: chosen from the report flags, checked before any connection. */
export interface ReportChoice {
  format: OutputFormat;
  verbose: boolean;
  color: boolean;
  /** Columns for the terminal report. */
  width: number;
  /** The --html target, already checked writable; null without --html. */
  htmlFile: string | null;
}

/** The report flags read: the format (--json or --format, not both at odds), colour, width, --html. */
export function reportChoice(
  values: { json?: boolean; format?: string; verbose?: boolean; html?: string; color?: boolean; 'no-color'?: boolean },
  io: CliIo,
): ReportChoice {
  const asked = values.format?.trim().toLowerCase();
  if (asked !== undefined && !(FORMATS as readonly string[]).includes(asked))
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got ${quote(values.format!)}.`);
  if (values.json && asked !== undefined && asked !== 'json')
    throw new UsageError(`--json and --format ${asked} ask for two formats: choose one.`);
  const format = (values.json ? 'json' : (asked ?? 'text')) as OutputFormat;
  if (values.color && values['no-color']) throw new UsageError('--color and --no-color: choose one.');
  const color = values['no-color'] ? false : values.color ? true : Boolean(io.stdout.isTTY) && !io.env['NO_COLOR'];
  return {
    format,
    verbose: values.verbose ?? false,
    color,
    width: terminalWidth(io),
    htmlFile: values.html !== undefined ? htmlTarget(values.html) : null,
  };
}

/**
 * The terminal report's width: COLUMNS when set (a shell exports it, a
 * user may force it), else the terminal's, else DEFAULT_WIDTH for a pipe.
 */
export function terminalWidth(io: CliIo): number {
  const fromEnv = Number(io.env['COLUMNS']);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  // A pty may report 0 columns.
  if (io.stdout.isTTY && io.stdout.columns) return io.stdout.columns;
  return DEFAULT_WIDTH;
}

/** Writes the report of one check as chosen, the HTML file too; returns the exit status its verdict gives. */
export function writeReport(choice: ReportChoice, obs: Observation, states: CheckState[], io: CliIo): number {
  if (choice.htmlFile !== null) writeHtml(choice.htmlFile, renderReport(obs, { states }));
  if (choice.format === 'json') {
    const verdict = verdictSummary(obs, states);
    io.stdout.write(`${JSON.stringify({ domain: obs.domain, verdict, observation: obs, states })}\n`);
  } else if (choice.format === 'nagios') {
    io.stdout.write(renderNagios(obs, states));
  } else {
    io.stdout.write(renderText(obs, states, { color: choice.color, width: choice.width, verbose: choice.verbose }));
  }
  // The verdict's status, not merely the worst state: "could not be tested" (port 25 blocked here) exits 3.
  return exitCodeFor(verdictStatus(obs, states));
}

export async function runCheck(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, CHECK_FLAGS, VALUE_NAMES);
  if (values.help) {
    io.stdout.write(`${CHECK_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'Missing DOMAIN: which domain should be checked?'
        : `Expected one DOMAIN, got ${positionals.length}: ${positionals.map(quote).join(' ')}`,
    );
  }
  if (values.ipv4 && values.ipv6) throw new UsageError('-4 and -6 each leave the other family out: choose one.');
  const input = domainFromInput(positionals[0]!);

  const raw: Record<string, unknown> = {
    domain: input.domain,
    timeout: values.timeout,
    helo_name: values.helo,
    test_probe_address: values['probe-address'],
    test_mail_from: values['mail-from'],
    test_null_sender: !values['no-null-sender'],
    test_postmaster: !values['no-postmaster'],
    test_open_relay: !values['no-open-relay'],
  };
  const settings: CollectSettings = {
    resolver: values.resolver !== undefined ? parseResolver(values.resolver) : null,
  };
  if (values.port !== undefined) settings.port = parsePort(values.port);
  if (values['max-endpoints'] !== undefined) settings.maxEndpoints = parseMaxEndpoints(values['max-endpoints']);
  if (values['egress-canary'] !== undefined)
    settings.egressCanary = parseEgressCanaries(values['egress-canary'].join(','));
  if (values.mx !== undefined) {
    settings.mx = parseMxHosts(values.mx.join(','));
    settings.mxSource = 'given';
  }
  if (values.ipv4) settings.addressFamily = 4;
  if (values.ipv6) settings.addressFamily = 6;
  const choice = reportChoice(values, io);

  // Said once, once the domain is judged valid and before the wait: what is checked, taken from what was pasted.
  const { domain } = parseOptions(raw);
  if (input.from !== null) io.stderr.write(`checking ${domain} (from ${sanitize(input.from)})\n`);

  const progress = choice.format === 'text' && io.stderr.isTTY ? createProgress(io.stderr) : null;
  const interrupt = interruptOnSigint(io);
  let observation;
  try {
    observation = await collect(raw, {
      ...settings,
      signal: interrupt.signal,
      ...(progress ? { onProgress: progress.update } : {}),
    });
  } finally {
    interrupt.release();
    progress?.done();
  }
  return writeReport(choice, observation, evaluate(observation), io);
}

/** Exit status of a second Ctrl-C: killed by SIGINT, as a shell reports it (128 + 2). */
const SIGINT_EXIT = 130;

/**
 * Ctrl-C during a check: the first cancels the collection, which records
 * what it had not reached as cut, so the report of what was checked is
 * still written (a silent MX is 12 s of waiting: the operator should not
 * lose the rest); a second quits at once.
 */
function interruptOnSigint(io: CliIo): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(SIGINT_EXIT);
    io.stderr.write('\nInterrupted: reporting what was checked so far (Ctrl-C again to quit at once).\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
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
