/**
 * The checker-smtp command line. Subcommands: check (a domain, now), batch
 * (a list of domains) and serve (the HTTP checker service).
 */
import { PACKAGE_VERSION } from '../model/package-info.js';
import { quote } from '../model/text.js';
import { CHECK_USAGE, describeFailure, runCheck, UsageError, type CliIo } from './check-command.js';
import { runServe, SERVE_USAGE } from './serve-command.js';
import { BATCH_USAGE, runBatch, type BatchIo } from './batch-command.js';
import { runWorker, WORKER_USAGE } from './worker-command.js';

const USAGE = `Usage: checker-smtp <command> [options]

Commands:
  check DOMAIN   probe the domain's MX endpoints and report (see: checker-smtp check --help)
  batch [FILE]   check a list of domains, one JSON line each (see: checker-smtp batch --help)
  worker         check domains from a batch's queue, on any number of machines (see: checker-smtp worker --help)
  serve          run the HTTP checker service and the /check page (see: checker-smtp serve --help)

Options:
  -h, --help     show this help
  --version      print the version
`;

export async function main(argv: string[], io: CliIo & Pick<BatchIo, 'stdin'>): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return await runCheck(rest, io);
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
      default:
        throw new UsageError(`Unknown command ${quote(command)}.`);
    }
  } catch (err) {
    const usages = new Map([
      ['check', CHECK_USAGE],
      ['serve', SERVE_USAGE],
      ['batch', BATCH_USAGE],
      ['worker', WORKER_USAGE],
    ]);
    const commandUsage = usages.get(command ?? '') ?? USAGE;
    const usage = err instanceof UsageError ? `\n\n${commandUsage}` : '';
    io.stderr.write(`checker-smtp: ${describeFailure(err)}${usage}\n`);
    return 3;
  }
}
