/**
 * The operator's habits and the monitoring fronts of `checker-smtp check`,
 * end to end through the real binary, against the demo world (src/demo: a
 * DNS server and SMTP peers on 127.0.25.x and ::1): --mx, -4 / -6, pasted
 * domains, did-you-mean, --format nagios and the JSON verdict.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoWorld, type DemoWorld } from '../../src/demo/demo-world.js';
import { Status } from '../../src/model/status.js';
import { runCli } from './run-cli.js';

let world: DemoWorld;
let caDir: string;

before(async () => {
  world = await startDemoWorld();
  caDir = mkdtempSync(join(tmpdir(), 'checker-smtp-demo-ca-'));
  writeFileSync(join(caDir, 'ca.pem'), world.trustStore.join('\n'));
});
after(async () => {
  await world.close();
  rmSync(caDir, { recursive: true, force: true });
});

/** `check` pointed at the demo world: its resolver, its SMTP port, its CA. */
const check = (...args: string[]) => checkWith({}, ...args);
const checkWith = (env: Record<string, string>, ...args: string[]) =>
  runCli(
    [
      'check',
      ...args,
      '--resolver',
      `${world.resolver.host}:${world.resolver.port}`,
      '--port',
      String(world.port),
      '--timeout',
      '3',
    ],
    { caFile: join(caDir, 'ca.pem'), env },
  );

interface JsonRun {
  domain: string;
  verdict: { status: number; status_name: string; summary: string };
  observation: {
    dns: { source: string; mx: { name: string }[] };
    options: { address_family: 4 | 6 | null };
    endpoints: { address: string; family: number; connected: boolean; error: { code: string } | null }[];
  };
  states: { status: number; code?: string; message: string }[];
}

describe('--mx: the MX set from the command line', () => {
  it('probes an IP address given as the MX, as swaks --server does, and says where the set came from', async () => {
    const run = await check('healthy.example', '--mx', '127.0.25.20', '--json');
    assert.equal(run.code, 2, run.stderr);
    const doc = JSON.parse(run.stdout) as JsonRun;
    assert.equal(doc.observation.dns.source, 'given');
    assert.deepEqual(
      doc.observation.endpoints.map((e) => [e.address, e.connected]),
      [['127.0.25.20', true]],
    );
    assert.ok(
      doc.states.some((s) => s.code === 'smtp.open_relay'),
      'the given host (a relay) was probed',
    );

    const text = await check('healthy.example', '--mx', '127.0.25.20', '--verbose');
    assert.match(text.stdout, /MX set given on the command line \(--mx\)/);
  });

  it('resolves a given name and takes a port per host', async () => {
    const run = await check('healthy.example', '--mx', `mx.healthy.example:${world.port}`, '-4', '--json');
    assert.equal(run.code, 0, run.stdout);
    const doc = JSON.parse(run.stdout) as JsonRun;
    assert.deepEqual(
      doc.observation.dns.mx.map((t) => t.name),
      ['mx.healthy.example'],
    );
    assert.ok(doc.observation.endpoints.some((e) => e.address === '127.0.25.10' && e.connected));
  });

  it('refuses a bad host before any connection, quoting it', async () => {
    const run = await check('healthy.example', '--mx', 'mx.example:99999');
    assert.equal(run.code, 3);
    assert.match(run.stderr, /"mx\.example:99999"/);
    assert.equal(run.stdout, '');
  });
});

describe('-4 and -6', () => {
  it('-4 leaves the IPv6 endpoints out by choice: not tested (-4), never "missing"', async () => {
    const run = await check('healthy.example', '-4', '--json');
    assert.equal(run.code, 0, run.stdout);
    const doc = JSON.parse(run.stdout) as JsonRun;
    assert.equal(doc.observation.options.address_family, 4);
    for (const e of doc.observation.endpoints.filter((x) => x.family === 6)) {
      assert.equal(e.connected, false);
      assert.equal(e.error?.code, 'skipped');
    }
    assert.ok(doc.observation.endpoints.some((e) => e.family === 4 && e.connected));
    const ipv6 = doc.states.filter((s) => /ipv6/.test(s.code ?? ''));
    assert.ok(
      ipv6.length > 0 && ipv6.every((s) => s.code === 'smtp.ipv6.skipped' && /not tested \(-4\)/.test(s.message)),
    );
    assert.ok(!doc.states.some((s) => s.status >= Status.WARN && /IPv6/.test(s.message)), 'nothing blames IPv6');

    const text = await check('healthy.example', '-4');
    assert.equal(text.code, 0);
    if (world.ipv6) assert.match(text.stdout, /::1 +not tested \(-4\)/);
  });

  it('-6 probes only the IPv6 endpoints', async (t) => {
    if (!world.ipv6) return t.skip('this machine has no IPv6 loopback');
    const run = await check('healthy.example', '-6', '--json');
    assert.equal(run.code, 0, run.stdout);
    const doc = JSON.parse(run.stdout) as JsonRun;
    assert.deepEqual(
      doc.observation.endpoints.map((e) => [e.family, e.connected, e.error?.code ?? null]),
      [
        [4, false, 'skipped'],
        [6, true, null],
      ],
    );
  });

  it('refuses -4 with -6', async () => {
    const run = await check('healthy.example', '-4', '-6');
    assert.equal(run.code, 3);
    assert.match(run.stderr, /-4 and -6/);
  });
});

describe('command lines as people type them', () => {
  it('checks the domain of a pasted web or mail address, saying so once on stderr', async () => {
    for (const pasted of ['https://healthy.example/cart?x=1', 'user@healthy.example']) {
      const run = await check(pasted, '--format', 'nagios');
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(run.stderr, `checking healthy.example (from ${pasted})\n`);
      assert.match(run.stdout, /^SMTP OK - /);
    }
  });

  it('suggests the command or option a typo meant, in our own words, with the usage line, exit 3', async () => {
    const typo = await runCli(['chek', 'example.com']);
    assert.equal(typo.code, 3);
    assert.match(typo.stderr, /Unknown command "chek"\. Did you mean check\?/);
    assert.match(typo.stderr, /Usage: checker-smtp <command>/);

    const flag = await runCli(['check', 'example.com', '--jsn']);
    assert.equal(flag.code, 3);
    assert.match(flag.stderr, /Unknown option "--jsn"\. Did you mean --json\?/);
    assert.match(flag.stderr, /Usage: checker-smtp check DOMAIN/);
    assert.doesNotMatch(flag.stderr, /positional|parseArgs|ERR_PARSE_ARGS/);
    assert.equal(flag.stdout, '');

    const format = await runCli(['check', 'example.com', '--format', 'xml']);
    assert.equal(format.code, 3);
    assert.match(format.stderr, /--format must be one of text, json, nagios, got "xml"/);
  });
});

describe('the terminal report', () => {
  it('is never wider than COLUMNS, verbose evidence included', async () => {
    for (const columns of [60, 132]) {
      const run = await checkWith({ COLUMNS: String(columns) }, 'broken.example', '--verbose');
      assert.equal(run.code, 2);
      const widest = Math.max(...run.stdout.split('\n').map((l) => [...l].length));
      assert.ok(widest <= columns, `widest line ${widest} > ${columns}`);
      assert.ok(widest > columns - 10, `the width is used: ${widest} of ${columns}`);
    }
  });
});

describe('monitoring output', () => {
  it('--format nagios: one status line with performance data, the finding, and exit 2 for an open relay', async () => {
    const run = await check('broken.example', '--format', 'nagios');
    assert.equal(run.code, 2);
    const [first] = run.stdout.split('\n');
    // The worst finding first, its two endpoints named as the report groups them.
    assert.match(
      first!,
      /^SMTP CRITICAL - broken\.example: open relay on 2 endpoints of mx1\.broken\.example; 3 more critical problems.* \| time=[\d.]+s;;;0 /,
    );
    assert.match(first!, / endpoints=3;;;0 reachable=2;;;0;3 starttls=0;;;0;3 .*open_relay=2;;;0;3/);
  });

  it('--json and --format json carry the verdict the terminal report states', async () => {
    const [json, format, text] = await Promise.all([
      check('broken.example', '--json'),
      check('broken.example', '--format', 'json'),
      check('broken.example'),
    ]);
    const a = JSON.parse(json.stdout) as JsonRun;
    const b = JSON.parse(format.stdout) as JsonRun;
    assert.deepEqual(Object.keys(a), ['domain', 'verdict', 'observation', 'states']);
    assert.equal(a.verdict.status, Status.CRIT);
    assert.equal(a.verdict.status_name, 'CRIT');
    assert.deepEqual(a.verdict, b.verdict);
    assert.match(a.verdict.summary, /^broken\.example cannot receive mail reliably/);
    // The terminal report's first line is the same verdict, wrapped to the width.
    const said = text.stdout.split('\n\n', 1)[0]!.split('\n').slice(0, -1).join(' ').replace(/\s+/g, ' ');
    assert.equal(said, `CRIT ${a.verdict.summary}`);
    assert.equal(json.code, 2);
  });
});
