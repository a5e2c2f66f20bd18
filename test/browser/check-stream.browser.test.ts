/**
 * The streamed /check page in real headless Chromium with JavaScript off:
 * the browser shows "Checking …" and the first progress line while the MX
 * server still holds its greeting (the page is not finished loading), then
 * the report once the check is done. Opened by a shared link, on a service
 * that runs checks on GET (--check-on-get).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { runDialogue, startScriptedServer, type ScriptedServer } from '../peers/scripted-smtp.js';
import { startService } from '../server/service-harness.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Chromium starts slowly on a loaded two-core machine; the budget is for the whole file, not a timing claim. */
const BROWSER_TEST_TIMEOUT_MS = 120_000;
const HOST = '127.0.0.198';
const DOMAIN = 'progressive.test';

let dns: DnsServer;
let peer: ScriptedServer;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let release: () => void = () => undefined;
let greeted = false;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: set CHROMIUM_PATH.`);
  const held = new Promise<void>((r) => (release = r));
  peer = await startScriptedServer({
    host: HOST,
    port: 0,
    script: async (conn) => {
      await held;
      greeted = true;
      await runDialogue(conn, { hostname: `mx.${DOMAIN}` });
    },
  });
  dns = await startDnsServer(mailDomainRecords(DOMAIN, [{ name: `mx.${DOMAIN}`, addresses: [HOST] }]));
  app = await startService(dns, peer.port, { checkOnGet: true });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

after(async () => {
  release();
  await browser?.close();
  await app?.close();
  await peer?.close();
  await dns?.close();
});

describe('the streamed /check page in Chromium', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
  for (const width of [1280, 390]) {
    it(`sizes every input so its placeholder shows whole at ${width}px`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 }, javaScriptEnabled: false });
      const page = await context.newPage();
      try {
        await page.goto(`${base}/check`);
        // Measured with the input's own font: the placeholder's width against the room inside the box.
        const cut = await page.$$eval('input[placeholder]', (inputs) =>
          inputs.flatMap((el) => {
            const input = el as HTMLInputElement;
            const style = getComputedStyle(input);
            const ctx = document.createElement('canvas').getContext('2d')!;
            ctx.font = style.font;
            const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            const needed = ctx.measureText(input.placeholder).width;
            return needed > room ? [`${input.name}: ${Math.ceil(needed)} px in ${Math.floor(room)} px`] : [];
          }),
        );
        assert.deepEqual(cut, [], 'placeholders cut off');
      } finally {
        await context.close();
      }
    });
  }

  it('shows the progress while the check runs, without JavaScript, then the report', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      let loaded = false;
      page.once('load', () => (loaded = true));
      await page.goto(`${base}/check?domain=${DOMAIN}&timeout=5`, { waitUntil: 'commit' });
      await page
        .locator('#progress h2')
        .filter({ hasText: `Checking ${DOMAIN}…` })
        .waitFor({ state: 'visible' });
      await page.locator('#progress li').filter({ hasText: 'DNS done: 1 endpoint' }).waitFor({ state: 'visible' });
      assert.equal(greeted, false, 'shown while the server still held its greeting');
      assert.equal(loaded, false, 'the page is still loading');
      assert.equal(await page.locator('#r-verdict').count(), 0, 'no report yet');
      assert.equal(await page.inputValue('#domain'), DOMAIN, 'the form is there, filled in');

      release();
      await page.locator('#r-verdict').waitFor({ state: 'visible' });
      await page.waitForLoadState('load');
      assert.match(await page.locator('#progress').innerText(), /Done in [\d.]+ s: 1 endpoint\./);
      assert.match(await page.locator('#share a').innerText(), new RegExp(`/check\\?domain=${DOMAIN}&timeout=5$`));
      assert.ok(await page.locator('#r-fix').isVisible(), 'What to fix');
      assert.equal(await page.locator('#metrics').getAttribute('open'), null, 'the metrics are collapsed');
      assert.equal(await page.locator('#metrics table').isVisible(), false);
    } finally {
      await context.close();
    }
  });
});
