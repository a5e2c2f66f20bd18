/**
 * The checker-smtp command line. Subcommands: check (a domain, now), demo
 * (a simulated world on loopback, checked), batch (a list of domains),
 * worker (a batch's queue, on any machine) and serve (the HTTP checker
 * service).
 */
import { PACKAGE_VERSION } from '../model/package-info.js';
import { quote } from '../model/text.js';
import { didYouMean, inOwnWords } from './args.js';
import { CHECK_USAGE, describeFailure, runCheck, type CliIo } from './check-command.js';
import { DEMO_USAGE, runDemo } from './demo-command.js';
import { runServe, SERVE_USAGE } from './serve-command.js';
import { UsageError } from './usage-error.js';
import { BATCH_USAGE, runBatch, type BatchIo } from './batch-command.js';
import { runWorker, WORKER_USAGE } from './worker-command.js';

const USAGE = `Usage: checker-smtp <command> [options]

Commands:
  check DOMAIN   probe the domain's MX endpoints and report (see: checker-smtp check --help)
  demo           check two simulated domains on this machine, no network needed (see: checker-smtp demo --help)
  batch [FILE]   check a list of domains, one JSON line each (see: checker-smtp batch --help)
  worker         check domains from a batch's queue, on any number of machines (see: checker-smtp worker --help)
  serve          run the HTTP checker service and the /check page (see: checker-smtp serve --help)

Options:
  -h, --help     show this help
  --version      print the version
`;

const COMMANDS = ['check', 'demo', 'batch', 'worker', 'serve', 'help', '--help', '--version', 'version'];

const USAGES: Record<string, string> = {
  check: CHECK_USAGE,
  demo: DEMO_USAGE,
  batch: BATCH_USAGE,
  worker: WORKER_USAGE,
  serve: SERVE_USAGE,
};

/** After a usage error: the command's usage line and where the rest is, not the whole help. */
function usageLine(command: string | undefined): string {
  const known = command !== undefined && command in USAGES;
  const usage = (known ? USAGES[command]! : USAGE).split('\n', 1)[0]!;
  return `\n${usage}\n(see: checker-smtp ${known ? `${command} ` : ''}--help)`;
}

export async function main(argv: string[], io: CliIo & Pick<BatchIo, 'stdin'>): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return await runCheck(rest, io);
      case 'demo':
        return await runDemo(rest, io);
      case 'serve':
        return await runServe(rest, io);
      case 'batch':
        return await runBatch(rest, io);
      case 'worker':
        return await runWorker(rest, io);
      case '--version':
      case 'version':
        io.stdout.write(`${PACKAGE_VERSION}\n`);
        return 0;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        (command === undefined ? io.stderr : io.stdout).write(USAGE);
        return command === undefined ? 3 : 0;
      default: {
        const guess = didYouMean(
          command,
          COMMANDS.filter((c) => !c.startsWith('-') || command.startsWith('-')),
        );
        throw new UsageError(`Unknown command ${quote(command)}.${guess ? ` Did you mean ${guess}?` : ''}`);
      }
    }
  } catch (caught) {
    // serve reads its own flags with Node's parseArgs: its wording is put in ours here.
    const translated =
      command === 'serve' && caught instanceof UsageError && caught.cause
        ? inOwnWords(caught.cause, SERVE_USAGE)
        : caught;
    const err = translated instanceof UsageError ? translated : caught;
    io.stderr.write(`checker-smtp: ${describeFailure(err)}${err instanceof UsageError ? usageLine(command) : ''}\n`);
    return 3;
  }
}
