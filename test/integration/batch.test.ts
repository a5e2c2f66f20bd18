/**
 * `checker-smtp batch` end to end, as a child process: the real binary reads
 * a list (file or stdin) and checks it against scripted peers and
 * smtp-server on loopback, with DNS from the in-process server; its JSONL
 * output, resume after SIGKILL and after Ctrl-C, bad lines, duplicates, the
 * comparison with a previous run, the summary and --source-address.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { reply, runDialogue } from '../peers/scripted-dialogue.js';
import { startScriptedServer, type ScriptedServer } from '../peers/scripted-smtp.js';
import { testCa } from '../peers/certs.js';
import { parseBatchLine, type BatchLine } from '../../src/model/batch-line.js';
import { runBatchCli, startBatch } from './run-batch-cli.js';
import { main } from '../../src/cli/cli.js';

/** This file's slice of loopback: DNS on .241, peers on .242–.244. */
const DNS_HOST = '127.0.0.241';
const HEALTHY_HOST = '127.0.0.242';
const RELAY_HOST = '127.0.0.243';
const SLOW_HOST = '127.0.0.244';
/** The slow peer's pause before its greeting: one connection at a time, so a run of 16 domains lasts seconds. */
const SLOW_GREETING_MS = 200;
/** A domain longer than 243 characters makes `postmaster@domain` longer than an SMTP path may be (254). */
const LONG_DOMAIN = ['a', 'b', 'c', 'd'].map((c) => c.repeat(59)).join('.') + '.batch.test';

const SHARED = ['one.batch.test', 'two.batch.test', 'three.batch.test'];
const SLOW = Array.from({ length: 16 }, (_, i) => `s${i}.slow.test`);

let dns: DnsServer;
let healthy: ScenarioPeer;
let relay: ScenarioPeer;
let slow: ScriptedServer;
let dir: string;
let caFile: string;

before(async () => {
  dns = await startDnsServer([], { host: DNS_HOST });
  healthy = await scenarios.healthy({
    host: HEALTHY_HOST,
    port: 0,
    domain: SHARED[0]!,
    localDomains: [...SHARED.slice(1), LONG_DOMAIN],
    mxName: 'mx.batch.test',
  });
  relay = await scenarios.openRelay({
    host: RELAY_HOST,
    port: healthy.port,
    domain: 'relay.batch.test',
    mxName: 'mx.relay.batch.test',
  });
  slow = await startScriptedServer({
    host: SLOW_HOST,
    port: healthy.port,
    script: async (conn) => {
      await conn.sleep(SLOW_GREETING_MS);
      await runDialogue(conn, {
        hostname: 'mx.slow.test',
        extensions: ['PIPELINING', '8BITMIME'],
        rcptTo: (address) =>
          address.startsWith('postmaster@') ? reply(250, '2.1.5 Ok') : reply(554, '5.7.1 Relay access denied'),
      });
    },
  });
  for (const d of [...SHARED, LONG_DOMAIN])
    dns.set(...mailDomainRecords(d, [{ name: 'mx.batch.test', addresses: [HEALTHY_HOST] }]));
  dns.set(...mailDomainRecords('relay.batch.test', [{ name: 'mx.relay.batch.test', addresses: [RELAY_HOST] }]));
  for (const d of SLOW) dns.set(...mailDomainRecords(d, [{ name: 'mx.slow.test', addresses: [SLOW_HOST] }]));
  dir = mkdtempSync(join(tmpdir(), 'checker-smtp-batch-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, testCa().cert);
});

after(async () => {
  await Promise.all([healthy.close(), relay.close(), slow.close(), dns.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const common = () => ['--resolver', dns.address, '--port', String(healthy.port), '--timeout', '5'];
const file = (name: string) => join(dir, name);

function readOutput(path: string): BatchLine[] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the output ends with a whole line');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as BatchLine);
}

function byDomain(lines: BatchLine[]): Map<string, BatchLine> {
  return new Map(lines.map((l) => [l.domain, l]));
}

describe('checker-smtp batch', () => {
  it('writes one line per distinct domain: results, error lines for bad input, duplicates and pasted forms folded', async () => {
    const list = [
      '# customers, week 12',
      'one.batch.test',
      '',
      'https://two.batch.test/shop',
      'ONE.batch.test',
      'relay.batch.test   # the one we worry about',
      'bad..name',
      'jane@three.batch.test',
      'mailto:someone@two.batch.test',
      'missing.batch.test',
      'bad..name',
    ];
    writeFileSync(file('list.txt'), `${list.join('\n')}\n`);
    const out = file('out.jsonl');
    const summaryFile = file('summary.html');
    const run = await runBatchCli([file('list.txt'), '--out', out, '--summary', summaryFile, ...common()], { caFile });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '', 'with --out, nothing on stdout');
    const lines = readOutput(out);
    const got = byDomain(lines);
    assert.deepEqual([...got.keys()].sort(), [
      'bad..name',
      'missing.batch.test',
      'one.batch.test',
      'relay.batch.test',
      'three.batch.test',
      'two.batch.test',
    ]);
    assert.equal(lines.length, 6, 'each domain once');
    for (const l of lines) assert.ok(parseBatchLine(JSON.stringify(l)), `${l.domain}: a readable result line`);
    const one = got.get('one.batch.test')!;
    assert.equal(one.input_line, 2, 'the line of its first appearance');
    assert.ok(one.states.length >= 16);
    assert.equal(one.facts?.starttls, 1);
    assert.deepEqual(one.facts?.mx, ['mx.batch.test']);
    assert.equal(one.observation, undefined, 'no observation without --full');
    assert.ok(one.status === 0 || one.status === 1, `${one.status_name}`);
    const relayLine = got.get('relay.batch.test')!;
    assert.equal(relayLine.status, 2);
    assert.equal(relayLine.status_name, 'CRIT');
    assert.ok(relayLine.states.some((s) => s.code === 'smtp.open_relay' && s.status === 4));
    const bad = got.get('bad..name')!;
    assert.equal(bad.status, 3);
    assert.equal(bad.status_name, 'ERROR');
    assert.deepEqual(bad.states, []);
    assert.match(bad.error!, /^Line 7 names no domain: "bad\.\.name" has an empty label/);
    assert.equal(got.get('missing.batch.test')!.status, 2, 'NXDOMAIN: no MX, CRIT');
    // Said once per kind on stderr; counted at the end.
    assert.match(run.stderr, /^line 4: checking two\.batch\.test \(from https:\/\/two\.batch\.test\/shop\)$/m);
    assert.match(run.stderr, /^line 8: checking three\.batch\.test \(from jane@three\.batch\.test\)$/m);
    assert.doesNotMatch(run.stderr, /line 9: checking/, 'one note per kind');
    assert.match(
      run.stderr,
      /Checked 5 domains in .*; 3 duplicates dropped, 1 URL reduced to its domain, 1 e-mail address reduced to its domain, 1 line naming no domain \(an error line\)\./,
    );
    const relayAt = lines.findIndex((l) => l.domain === 'relay.batch.test') + 1;
    assert.match(run.stderr, new RegExp(`Open relays: 1: relay\\.batch\\.test \\(out\\.jsonl:${relayAt}\\)\\.`));
    assert.ok(healthy.connections.length >= 1 && !healthy.sentData);
    const html = readFileSync(summaryFile, 'utf8');
    assert.match(html, /<h1>Fleet report: 6 domains<\/h1>/);
    assert.match(
      html,
      new RegExp(`<a class="r-mono f-line" href="out\\.jsonl#L${relayAt}">out\\.jsonl#L${relayAt}</a>`),
    );
  });

  it('reads the list from standard input and writes the lines to standard output', async () => {
    const run = await runBatchCli(['-', ...common()], { stdin: 'one.batch.test\ntwo.batch.test\n', caFile });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as BatchLine);
    assert.deepEqual(lines.map((l) => l.domain).sort(), ['one.batch.test', 'two.batch.test']);
    assert.match(run.stderr, /Checked 2 domains/);
  });

  it("keeps the others' results when one domain makes the check throw, and gives that one an error line", async () => {
    const out = file('throw.jsonl');
    const run = await runBatchCli(['-', '--out', out, '--full', ...common()], {
      stdin: `${SHARED.join('\n')}\n${LONG_DOMAIN}\n`,
      caFile,
    });
    assert.equal(run.code, 0, run.stderr);
    const got = byDomain(readOutput(out));
    assert.equal(got.size, 4);
    assert.match(got.get(LONG_DOMAIN)!.error!, /Refusing to send RCPT TO with "postmaster@a{59}/);
    assert.equal(got.get(LONG_DOMAIN)!.status_name, 'ERROR');
    for (const d of SHARED) {
      const l = got.get(d)!;
      assert.equal(l.error, undefined, d);
      assert.ok(
        (l.observation as { endpoints: unknown[] }).endpoints.length === 1,
        `${d}: --full keeps the observation`,
      );
    }
  });

  it('resumes after SIGKILL without redoing finished domains, and rewrites a line a crash cut short', async () => {
    const out = file('killed.jsonl');
    writeFileSync(file('slow.txt'), `${SLOW.join('\n')}\n`);
    const args = [file('slow.txt'), '--out', out, '--concurrency', '4', ...common()];
    const first = startBatch(args, { caFile });
    await until(() => existsSync(out) && readOutput(out).length >= 4);
    first.child.kill('SIGKILL');
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL');
    const before = readOutput(out);
    assert.ok(before.length >= 4 && before.length < SLOW.length, `${before.length} lines before the kill`);
    // A crash in the middle of a write leaves half a line: the resumed run must drop it and check that domain again.
    const cutDomain = SLOW.find((d) => !before.some((l) => l.domain === d))!;
    appendFileSync(out, `{"domain":"${cutDomain}","input_line":1,"checked_at":"2026-`);
    const connectionsBefore = slow.connections.length;
    const resumed = await runBatchCli([...args, '--resume'], { caFile });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /killed\.jsonl: the last line was cut short \(\d+ bytes, a crash\?\): removed/);
    assert.match(resumed.stderr, new RegExp(`killed\\.jsonl: ${before.length} domains already done`));
    const after = readOutput(out);
    assert.deepEqual(after.map((l) => l.domain).sort(), [...SLOW].sort(), 'exactly one line per input domain');
    assert.deepEqual(after.slice(0, before.length), before, 'the lines from before the kill are kept as they were');
    assert.equal(
      slow.connections.length - connectionsBefore,
      SLOW.length - before.length,
      'only the missing domains were probed',
    );
    assert.match(resumed.stderr, new RegExp(`Checked ${SLOW.length - before.length} domains`));
  });

  it('stops on Ctrl-C: in-flight domains finish, exit 130, and --resume completes the list', async () => {
    const out = file('interrupted.jsonl');
    const args = [file('slow.txt'), '--out', out, '--concurrency', '4', ...common()];
    writeFileSync(file('slow.txt'), `${SLOW.join('\n')}\n`);
    const first = startBatch(args, { caFile });
    await until(() => existsSync(out) && readOutput(out).length >= 3);
    const stoppedAt = Date.now();
    first.child.kill('SIGINT');
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.ok(Date.now() - stoppedAt < 10_000, 'in-flight domains finished well within the grace period');
    assert.match(stopped.stderr, /Stopping: no new domains/);
    assert.match(
      stopped.stderr,
      /Interrupted: 0 domains in flight were not finished .* run again with --resume to go on\./,
    );
    const partial = readOutput(out);
    assert.ok(partial.length < SLOW.length, `${partial.length} lines`);
    assert.equal(new Set(partial.map((l) => l.domain)).size, partial.length);
    const resumed = await runBatchCli([...args, '--resume'], { caFile });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(
      readOutput(out)
        .map((l) => l.domain)
        .sort(),
      [...SLOW].sort(),
      'exactly one line per input domain',
    );
  });

  it('compares with a previous run: new findings, fixed ones, and domains whose status moved', async () => {
    const before = file('week1.jsonl');
    const now = file('week2.jsonl');
    writeFileSync(file('pair.txt'), 'one.batch.test\ntwo.batch.test\n');
    const first = await runBatchCli([file('pair.txt'), '--out', before, ...common()], { caFile });
    assert.equal(first.code, 0, first.stderr);
    // Meanwhile two.batch.test moved its mail to the open relay.
    dns.set(...mailDomainRecords('two.batch.test', [{ name: 'mx.relay.batch.test', addresses: [RELAY_HOST] }]));
    try {
      const summaryFile = file('week2.html');
      const second = await runBatchCli(
        [file('pair.txt'), '--out', now, '--compare', before, '--summary', summaryFile, ...common()],
        { caFile },
      );
      assert.equal(second.code, 0, second.stderr);
      assert.match(
        second.stderr,
        /Since week1\.jsonl \(2 domains; 2 in both, 0 new, 0 not checked this time\): \d+ new findings, \d+ fixed, 1 domains worse, 0 better\./,
      );
      assert.match(second.stderr, /New: .*smtp\.open_relay 1/);
      assert.match(second.stderr, /Worse: two\.batch\.test \(week2\.jsonl:\d\) (OK|INFO|WARN) → CRIT\./);
      const html = readFileSync(summaryFile, 'utf8');
      assert.match(html, /<h2>Since the previous run \(week1\.jsonl\)<\/h2>/);
      assert.match(html, /<code>smtp\.open_relay<\/code>/);
    } finally {
      dns.set(...mailDomainRecords('two.batch.test', [{ name: 'mx.batch.test', addresses: [HEALTHY_HOST] }]));
    }
  });

  it('sends from --source-address: the peer sees the connection come from 127.0.0.77', async () => {
    const seen = healthy.connections.length;
    const run = await runBatchCli(['-', '--source-address', '127.0.0.77', ...common()], {
      stdin: 'one.batch.test\n',
      caFile,
    });
    assert.equal(run.code, 0, run.stderr);
    const fresh = healthy.connections.slice(seen);
    assert.ok(fresh.length >= 1);
    assert.deepEqual([...new Set(fresh.map((c) => c.remoteAddress))], ['127.0.0.77']);
  });

  it('refuses bad usage before any connection, exit 3 with the reason', async () => {
    writeFileSync(file('exists.jsonl'), '{"domain":"x.test"}\n');
    const seen = healthy.connections.length + relay.connections.length;
    // The real binary for two; the rest through the same main() in this process (starting tsx costs seconds).
    const cases: [string[], RegExp][] = [
      [
        ['-', '--source-address', '192.0.2.77'],
        /Cannot send from source address "192\.0\.2\.77": it is not an address of this machine \(EADDRNOTAVAIL\)/,
      ],
      [['-', '--out', file('exists.jsonl')], /already holds results: add --resume/],
    ];
    for (const [args, reason] of cases) {
      const run = await runBatchCli([...args, ...common()], { stdin: 'one.batch.test\n' });
      assert.equal(run.code, 3, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, reason);
      assert.equal(run.stdout, '');
    }
    const inProcess: [string[], RegExp][] = [
      [['-', '--source-address', 'mx.example'], /Source address "mx\.example" is not an IP address/],
      [['-', '--source-address', '127.0.0.2,127.0.0.3'], /Two IPv4 source addresses/],
      [['-', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 10000, got "0"/],
      [
        ['-', '--connections-per-address', 'many'],
        /--connections-per-address must be a whole number from 1 to 16, got "many"/,
      ],
      [['-', '--resume'], /--resume needs --out FILE/],
      [[file('nothing-here.txt')], /Cannot read .*nothing-here\.txt": no such file \(ENOENT\)/],
      [['-', '--helo', 'bad name'], /contains a space/],
      [
        ['-', '--summary', join(dir, 'no-such-dir', 's.html')],
        /Cannot write .*s\.html": directory .* is missing or not writable/,
      ],
      [['-', '--out', file('o.jsonl'), '--compare', file('o.jsonl')], /is the output itself/],
      [['a.txt', 'b.txt'], /Expected one FILE/],
      [['-', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, reason] of inProcess) {
      const run = await mainInProcess(['batch', ...args, ...common()]);
      assert.equal(run.code, 3, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, reason);
      assert.equal(run.stdout, '');
    }
    assert.equal(healthy.connections.length + relay.connections.length, seen, 'refused runs opened no connection');
    assert.equal(
      readFileSync(file('exists.jsonl'), 'utf8'),
      '{"domain":"x.test"}\n',
      'an existing output is left alone',
    );
  });
});

/** The CLI's main() in this process, with its own output streams and an empty standard input. */
async function mainInProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await main(argv, { stdout, stderr, env: { NO_COLOR: '1' }, stdin: Readable.from([]) });
  return { code, stdout: out, stderr: err };
}

/** Polls `cond` every 50 ms (the child writes as it goes); gives up after 30 s. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}
