/**
 * `checker-smtp demo`: what a check reports, on a first run anywhere. It
 * starts the demo world (src/demo: a DNS server and SMTP servers on this
 * machine's loopback), checks its healthy and its broken domain with the
 * real check, prints the real reports, and stops the world. No network is
 * used, and nothing needs port 25.
 */
import { basename, dirname, extname, join } from 'node:path';
import { collect } from '../collect/collect.js';
import { evaluate } from '../rules/index.js';
import { quote } from '../model/text.js';
import { DEMO_DOMAINS, startDemoWorld, type DemoWorld } from '../demo/demo-world.js';
import { wrap } from '../presentation/text/render-text.js';
import { parseCommandLine } from './args.js';
import { REPORT_FLAGS, reportChoice, writeReport, type CliIo } from './check-command.js';
import { UsageError } from './usage-error.js';

const DOMAINS = [DEMO_DOMAINS.healthy, DEMO_DOMAINS.broken];

/** The worst of several exit statuses, as the verdicts rank (status.ts severity): CRIT, WARN, UNKNOWN, OK. */
const EXIT_RANK: Record<number, number> = { 0: 0, 3: 1, 1: 2, 2: 3 };

export const DEMO_USAGE = `Usage: checker-smtp demo [DOMAIN] [options]

Start two mail domains simulated on this machine (a DNS server and SMTP
servers on 127.0.25.x and ::1, nothing leaves the machine), check them as
"check" does, and print the reports: ${DEMO_DOMAINS.healthy} is set up right,
${DEMO_DOMAINS.broken} has the common problems (an open relay, no STARTTLS, no
PTR, an address where nothing listens). DOMAIN checks only that one.

Options:
  --format FORMAT        text (default), json (one JSON object per domain,
                         one per line) or nagios
  --json                 the same as --format json
  -v, --verbose          text: also the DNS facts and each endpoint's dialogue
  --html FILE            also write each domain's HTML report, to FILE with the
                         domain before its extension (report.html:
                         report.${DEMO_DOMAINS.healthy}.html, report.${DEMO_DOMAINS.broken}.html)
  --color / --no-color   force colours on or off
  -h, --help             show this help

Exit status: as "check", for the worst of the verdicts: 2 with both domains
(${DEMO_DOMAINS.broken} is CRIT), 0 for ${DEMO_DOMAINS.healthy} alone; 3 when the
demo cannot start here.`;

/** Where the HTML report of `domain` goes when --html names `file`: the domain before the extension. */
export function demoHtmlFile(file: string, domain: string): string {
  const ext = extname(file);
  return join(dirname(file), `${basename(file, ext)}.${domain}${ext || '.html'}`);
}

async function checkIn(world: DemoWorld, domain: string) {
  const observation = await collect(
    { domain },
    {
      resolver: world.resolver,
      port: world.port,
      trustStore: world.trustStore,
      egressCanary: world.egressCanary,
    },
  );
  return { observation, states: evaluate(observation) };
}

export async function runDemo(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, REPORT_FLAGS, {
    format: 'text|json|nagios',
    html: 'FILE',
  });
  if (values.help) {
    io.stdout.write(`${DEMO_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`Expected at most one DOMAIN, got ${positionals.length}.`);
  const only = positionals[0]?.toLowerCase().replace(/\.$/, '');
  if (only !== undefined && !DOMAINS.includes(only as (typeof DOMAINS)[number]))
    throw new UsageError(`The demo has no domain ${quote(positionals[0]!)}: it has ${DOMAINS.join(' and ')}.`);
  const domains = only === undefined ? DOMAINS : [only];
  const choice = reportChoice(values, io);

  const world = await startDemoWorld();
  let results;
  try {
    results = await Promise.all(domains.map((d) => checkIn(world, d)));
  } finally {
    await world.close();
  }

  if (choice.format === 'text') {
    const intro =
      `Demo: ${domains.join(' and ')}, simulated on this machine (DNS on ${world.resolver.host}, SMTP servers on ` +
      `127.0.25.x${world.ipv6 ? ' and ::1' : ''}, port ${world.port}); nothing left it. ` +
      'A real domain: checker-smtp check DOMAIN';
    io.stdout.write(`${wrap(intro, choice.width).join('\n')}\n\n`);
  }
  const codes = results.map(({ observation, states }, i) => {
    if (i > 0 && choice.format !== 'json') io.stdout.write('\n');
    const html = choice.htmlFile === null ? null : demoHtmlFile(choice.htmlFile, observation.domain);
    const code = writeReport({ ...choice, htmlFile: html }, observation, states, io);
    if (html !== null) io.stderr.write(`HTML report of ${observation.domain} written to ${html}\n`);
    return code;
  });
  return codes.reduce((worst, c) => ((EXIT_RANK[c] ?? 0) > (EXIT_RANK[worst] ?? 0) ? c : worst), 0);
}
