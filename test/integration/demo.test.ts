/**
 * `checker-smtp demo` end to end through the real binary: the simulated
 * world starts on loopback, both domains are checked by the real check, and
 * the reports say what the world was built to show.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoWorld, DEMO_DOMAINS } from '../../src/demo/demo-world.js';
import { demoHtmlFile } from '../../src/cli/demo-command.js';
import { runCli } from './run-cli.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'checker-smtp-demo-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('checker-smtp demo', () => {
  it('checks a healthy and a broken domain with no network, and exits 2 for the broken one', async () => {
    const run = await runCli(['demo']);
    assert.equal(run.code, 2, run.stderr);
    const [healthy, broken] = run.stdout.split(/\n(?=CRIT {4}broken\.example)/);
    assert.ok(broken, 'two reports, the broken one second');
    assert.match(healthy!, /^OK +healthy\.example receives mail correctly/m);
    assert.match(healthy!, /What to fix\n {2}Nothing to fix\./);
    assert.match(healthy!, /mx\.healthy\.example +127\.0\.25\.10 +yes, \d+ ms +TLSv1\.[23] +ok +refused +OK/);
    for (const problem of ['smtp.open_relay', 'smtp.starttls.missing', 'smtp.ptr.missing', 'smtp.endpoint.unreachable'])
      assert.ok(broken.includes(problem), problem);
    assert.match(broken, /2 endpoints of mx1\.broken\.example/);
    assert.match(broken, /mx2\.broken\.example +127\.0\.25\.22 +no: refused/);
    assert.equal(run.stderr, '');
  });

  it('checks one domain when named, with the exit status of its verdict', async () => {
    const run = await runCli(['demo', 'healthy.example', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const doc = JSON.parse(lines[0]!) as { domain: string; verdict: { status_name: string } };
    assert.equal(doc.domain, 'healthy.example');
    assert.equal(doc.verdict.status_name, 'OK');

    const unknown = await runCli(['demo', 'example.com']);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /The demo has no domain "example\.com": it has healthy\.example and broken\.example/);
  });

  it('writes each domain its own HTML report with --html', async () => {
    const file = join(dir, 'report.html');
    const run = await runCli(['demo', '--html', file, '--format', 'nagios']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stdout, /^SMTP OK - healthy\.example/m);
    assert.match(run.stdout, /^SMTP CRITICAL - broken\.example/m);
    // Long output: a grouped finding names its endpoints.
    assert.match(
      run.stdout,
      /^CRIT 2 endpoints of mx1\.broken\.example \[127\.0\.25\.20:\d+, 127\.0\.25\.21:\d+\] \(smtp\.open_relay\): /m,
    );
    for (const domain of [DEMO_DOMAINS.healthy, DEMO_DOMAINS.broken]) {
      const written = demoHtmlFile(file, domain);
      assert.equal(written, join(dir, `report.${domain}.html`));
      assert.ok(existsSync(written), written);
      assert.match(readFileSync(written, 'utf8'), new RegExp(`<title>[^<]*${domain.replace('.', '\\.')}`));
    }
  });
});

describe('startDemoWorld()', () => {
  it('serves its domains on 127.0.25.x and stops everything on close', async () => {
    const world = await startDemoWorld();
    assert.equal(world.resolver.host, '127.0.25.53');
    assert.deepEqual(world.domains, DEMO_DOMAINS);
    assert.match(world.trustStore[0]!, /^-----BEGIN CERTIFICATE-----/);
    const net = await import('node:net');
    const connects = () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.25.10', port: world.port });
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
    assert.equal(await connects(), true);
    await world.close();
    assert.equal(await connects(), false, 'closed: nothing listens any more');
  });
});
