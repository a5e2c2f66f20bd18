/**
 * `npm run screenshots`: the two pictures of the /check page in the README,
 * taken with the real Chromium (JavaScript off, as the page is built for)
 * against the real `checker-smtp serve --demo`: the page while a check of
 * broken.example runs, and the page once it is done. Not part of npm test.
 *
 * The demo world answers in about a second, too fast to catch the page in
 * progress; so Chromium loads it through a small loopback relay that passes
 * the stream on as it comes and holds back its end (from the "Done" line on)
 * until the first picture is taken. What is pictured is the real stream.
 *
 * CHROMIUM_PATH overrides /usr/bin/chromium.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { PACKAGE_ROOT } from '../src/model/package-info.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const OUT = join(PACKAGE_ROOT, 'docs');
const VIEWPORT = { width: 1280, height: 900 };
/** The done page down to the findings: the form, the progress, the verdict and What to fix. */
const DONE_HEIGHT = 1700;
/** Where the stream's end begins: the progress list closes and "Done in …" follows. */
const END_OF_PROGRESS = '</ol><p class="p-done">';
/** A cold start compiles the sources and makes the demo CA. */
const READY_WITHIN_MS = 60_000;

async function startDemo(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(PACKAGE_ROOT, 'src/cli/main.ts'), 'serve', '--demo', '--listen', '127.0.0.1:0'],
    { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve --demo did not start')), READY_WITHIN_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (typeof entry['url'] === 'string') {
        clearTimeout(timer);
        resolve(entry['url']);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve --demo exited (${code})`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A relay to `target` that holds back everything from END_OF_PROGRESS on until `release()`. */
async function startHoldingRelay(target: URL) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        let held: Buffer[] | null = null;
        answer.on('data', (chunk: Buffer) => {
          if (held) return void held.push(chunk);
          const text = chunk.toString('latin1');
          const at = text.indexOf(END_OF_PROGRESS);
          if (at === -1) return void res.write(chunk);
          res.write(chunk.subarray(0, at));
          held = [chunk.subarray(at)];
        });
        answer.on('end', () => {
          void released.then(() => {
            for (const c of held ?? []) res.write(c);
            res.end();
          });
        });
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, release, close: () => server.close() };
}

const demo = await startDemo();
const relay = await startHoldingRelay(new URL(demo.url));
const browser = await chromium.launch({ executablePath: CHROMIUM });
try {
  const page = await (await browser.newContext({ viewport: VIEWPORT, javaScriptEnabled: false })).newPage();
  await page.goto(`${relay.base}/check?domain=broken.example`, { waitUntil: 'commit' });
  // The DNS line and the three endpoints of broken.example (its mx2 is tried twice: one more line).
  await page.locator('#progress li').nth(3).waitFor({ state: 'visible' });
  await page.screenshot({ path: join(OUT, 'check-in-progress.png') });
  relay.release();
  await page.locator('#r-verdict').waitFor({ state: 'visible' });
  await page.waitForLoadState('load');
  await page.screenshot({
    path: join(OUT, 'check-done.png'),
    fullPage: true,
    clip: { x: 0, y: 0, width: VIEWPORT.width, height: DONE_HEIGHT },
  });
  process.stdout.write(`Wrote ${join(OUT, 'check-in-progress.png')} and ${join(OUT, 'check-done.png')}\n`);
} finally {
  await browser.close();
  relay.close();
  await demo.stop();
}
