/**
 * The fleet summary in real headless Chromium (Debian's chromium through
 * playwright-core, JavaScript off): its sections visible, the OPEN RELAY
 * badges and the links to output lines there, nothing requested outside the
 * page (the links are followed by a person, never loaded), a hostile
 * domain name shown as text, and no sideways scrolling on a phone.
 * Screenshots go to test-artifacts/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { renderFleetReport } from '../../src/presentation/html/render-fleet.js';
import { PACKAGE_ROOT } from '../../src/model/package-info.js';
import { fleetProps } from '../fixtures/fleet-model.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(PACKAGE_ROOT, 'test-artifacts');
const WIDTHS = { desktop: 1280, phone: 390 } as const;
/** Chromium starts slowly on a loaded two-core machine; the budget is for the whole file, not a timing claim. */
const BROWSER_TEST_TIMEOUT_MS = 120_000;

let browser: Browser;
let file: string;

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser tests need it. Install the Debian package: apt-get install -y --no-install-recommends chromium (or set CHROMIUM_PATH).`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  file = join(ARTIFACTS, 'fleet-summary.html');
  writeFileSync(file, renderFleetReport(fleetProps()));
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

after(async () => {
  await browser?.close();
});

describe('the fleet summary in Chromium', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
  for (const [label, width] of Object.entries(WIDTHS)) {
    it(`shows every section, the open relays with their output lines, requesting nothing (${label})`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 }, javaScriptEnabled: false });
      const page = await context.newPage();
      const self = pathToFileURL(file).href;
      const outside: string[] = [];
      await page.route('**/*', (route) => {
        if (route.request().url() === self) return route.continue();
        outside.push(route.request().url());
        return route.abort();
      });
      try {
        await page.goto(self);
        for (const id of ['f-head', 'f-shares', 'f-attention', 'f-findings', 'f-providers', 'f-compare'])
          assert.ok(await page.locator(`#${id}`).isVisible(), `#${id} visible`);
        assert.equal(await page.locator('h1').innerText(), 'Fleet report: 11 domains');
        assert.equal(await page.locator('#f-attention .r-badge-relay').count(), 2);
        const links = await page.$$eval('#f-attention a', (as) => as.map((a) => a.getAttribute('href')));
        assert.deepEqual(links, ['results.jsonl#L4', 'results.jsonl#L11', 'results.jsonl#L7', 'results.jsonl#L10']);
        assert.equal(await page.locator('img').count(), 0, 'the hostile name made no element');
        assert.match(await page.locator('#f-attention').innerText(), /<img src=x onerror=alert\(1\)>\.example/);
        const [scroll, client] = await page.evaluate(() => [
          document.documentElement.scrollWidth,
          document.documentElement.clientWidth,
        ]);
        assert.ok(scroll <= client, `no horizontal scrolling at ${width}px (${scroll} > ${client})`);
        const clipped = await page.$$eval(
          '.r-scroll',
          (els) => els.filter((el) => el.scrollWidth > el.clientWidth).length,
        );
        assert.equal(clipped, 0, `every table fits at ${width}px`);
        assert.deepEqual(outside, [], 'nothing requested outside the page');
        await page.screenshot({ path: join(ARTIFACTS, `fleet-summary-${label}.png`), fullPage: true });
      } finally {
        await context.close();
      }
    });
  }
});
