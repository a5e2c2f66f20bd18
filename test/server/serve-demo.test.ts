/**
 * `checker-smtp serve --demo` end to end, through the real binary: it starts
 * the demo world in its own process (127.0.25.x), listens where it is told,
 * prints the page's address, offers the simulated domains under the form,
 * checks them (a POST, and a GET link, which the demo runs), and stops on
 * SIGTERM with its world. Nothing leaves the machine: the demo dials only its
 * own addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PACKAGE_ROOT } from '../../src/model/package-info.js';
import { CLI_MAIN } from '../integration/run-cli.js';

/** A cold start compiles the sources (tsx) and makes the demo CA on a loaded two-core machine. */
const READY_WITHIN_MS = 30_000;

function startDemo() {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'serve', '--demo', '--listen', '127.0.0.1:0'], {
    cwd: PACKAGE_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<{ url: string; ready: Record<string, unknown> }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve --demo did not get ready: ${stderr}`)), READY_WITHIN_MS);
    let ready: Record<string, unknown> | undefined;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry['msg'] === 'checker-smtp ready') ready = entry;
      if (typeof entry['url'] === 'string' && ready) {
        clearTimeout(timer);
        resolve({ url: entry['url'], ready });
      }
    });
    void exited.then((code) => reject(new Error(`serve --demo exited early (${code}): ${stderr}`)));
  });
  return { child, ready, exited, stderr: () => stderr, logs };
}

test('serve --demo serves the /check page over the demo world, checks its domains, and stops with it', async () => {
  const demo = startDemo();
  try {
    const { url, ready } = await demo.ready;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/check$/);
    assert.equal(ready['demo'], true);

    const form = await fetch(url);
    assert.equal(form.status, 200);
    const formHtml = await form.text();
    assert.match(formHtml, /Demo: try <a href="\/check\?domain=healthy\.example">healthy\.example<\/a>/);
    assert.match(formHtml, /<a href="\/check\?domain=broken\.example">broken\.example<\/a>/);

    const healthy = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        form: '1',
        domain: 'healthy.example',
        test_null_sender: 'on',
        test_postmaster: 'on',
        test_open_relay: 'on',
      }),
    });
    assert.equal(healthy.status, 200);
    const report = await healthy.text();
    assert.match(report, /<h2>Checking healthy\.example…<\/h2>/);
    assert.match(report, /<h2 id="r-fix-h">What to fix<\/h2><p class="r-nothing">Nothing to fix\.<\/p>/);
    assert.doesNotMatch(report, /r-fix-h">What to fix<\/h2><ol>/, 'no finding listed under What to fix');
    assert.match(report, /<details class="p-more" id="metrics"><summary>Metrics/);
    assert.match(report, /<\/html>$/);

    // The demo's links run the check (the world is on this machine, a preview costs nothing).
    const broken = await (await fetch(`${url}?domain=broken.example`)).text();
    assert.match(broken, /OPEN RELAY/);
    assert.match(broken, /127\.0\.0\.1:\d+\/check\?domain=broken\.example/, 'the shareable link');

    // Nothing outside the demo world is dialled, whatever is typed.
    const outside = await (
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ form: '1', domain: 'healthy.example', mx: '127.0.0.1' }),
      })
    ).text();
    assert.match(outside, /not probed: 127\.0\.0\.1 is outside the demo world/);
    // Written right after the log line that named the address: long since there.
    assert.match(demo.stderr(), /open http:\/\/127\.0\.0\.1:\d+\/check and try healthy\.example or broken\.example/);
  } finally {
    demo.child.kill('SIGTERM');
  }
  assert.equal(await demo.exited, 0);
});
