/**
 * The /check page in real headless Chromium (JavaScript off), served by the
 * real app on a loopback port: fill the form, submit, and read the result:
 * What to fix and the OPEN RELAY badge visible, the failing endpoint's section
 * open and the healthy one closed, nothing requested outside the service;
 * and the page refuses to be framed (frame-ancestors 'none').
 * Screenshots at desktop and phone widths go to test-artifacts/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { PACKAGE_ROOT } from '../../src/model/package-info.js';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { startOnSamePort } from '../peers/listen.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { startService } from '../server/service-harness.js';

/** Polls `condition` until it holds or 10 s pass (Chromium reports a refused frame asynchronously). */
async function waitFor(condition: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
  return condition();
}

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(PACKAGE_ROOT, 'test-artifacts');
const WIDTHS = { desktop: 1280, phone: 390 } as const;
/** Chromium starts slowly on a loaded two-core machine; the budget is for the whole file, not a timing claim. */
const BROWSER_TEST_TIMEOUT_MS = 120_000;
const HEALTHY_HOST = '127.0.0.135';
const RELAY_HOST = '127.0.0.136';
const DOMAIN = 'browser.test';

let dns: DnsServer;
let peers: ScenarioPeer[] = [];
let app: FastifyInstance;
let base: string;
let browser: Browser;

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install the Debian package (apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH.`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  dns = await startDnsServer([]);
  let port: number;
  ({ port, peers } = await startOnSamePort([
    (p) => scenarios.healthy({ host: HEALTHY_HOST, port: p, domain: DOMAIN, mxName: `mx1.${DOMAIN}` }),
    (p) => scenarios.openRelay({ host: RELAY_HOST, port: p, domain: DOMAIN, mxName: `mx2.${DOMAIN}` }),
  ]));
  dns.set(
    ...mailDomainRecords(DOMAIN, [
      { name: `mx1.${DOMAIN}`, addresses: [HEALTHY_HOST], priority: 10 },
      { name: `mx2.${DOMAIN}`, addresses: [RELAY_HOST], priority: 20 },
    ]),
  );
  app = await startService(dns, port);
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

after(async () => {
  await browser?.close();
  await app?.close();
  await Promise.all(peers.map((p) => p.close()));
  await dns?.close();
});

describe('the /check page in Chromium', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
  for (const [label, width] of Object.entries(WIDTHS)) {
    it(`checks a domain from the form and shows the report at ${label} width (${width}px)`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 }, javaScriptEnabled: false });
      const page = await context.newPage();
      const outside: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith(`${base}/`)) outside.push(req.url());
      });
      try {
        await page.goto(`${base}/check`);
        await page.fill('#domain', DOMAIN);
        await page.fill('#timeout', '4');
        await Promise.all([page.waitForURL(`${base}/check`), page.click('button[type=submit]')]);
        await page.locator('#r-fix').waitFor({ state: 'visible' });
        assert.match(
          (await page.locator('#r-fix li').first().innerText()).replace(/\s+/g, ' '),
          /CRIT .*smtp\.open_relay/,
        );
        assert.ok(await page.locator('#r-summary .r-badge-relay').isVisible(), 'OPEN RELAY badge visible');
        const sections = await page.$$eval('details.r-ep', (els) =>
          els.map((el) => [el.getAttribute('data-subject'), (el as HTMLDetailsElement).open]),
        );
        const subject = (host: string) => sections.find(([s]) => String(s).startsWith(`${host}:`));
        assert.equal(subject(RELAY_HOST)?.[1], true, 'the open relay endpoint is open');
        assert.equal(subject(HEALTHY_HOST)?.[1], false, 'the healthy endpoint is closed');
        assert.ok(await page.locator('#states').isVisible());
        assert.ok(await page.locator('#metrics').isVisible());
        assert.equal(await page.inputValue('#domain'), DOMAIN, 'the form keeps the domain for a re-run');
        const clipped = await page.$$eval(
          '#r-summary .r-scroll',
          (els) => els.filter((el) => el.scrollWidth > el.clientWidth).length,
        );
        if (width === WIDTHS.desktop) assert.equal(clipped, 0, 'the endpoint table fits the page at desktop width');
        if (width === WIDTHS.phone) {
          const [scroll, client] = await page.evaluate(() => [
            document.documentElement.scrollWidth,
            document.documentElement.clientWidth,
          ]);
          assert.ok(scroll <= client, `no horizontal scrolling at ${width}px (${scroll} > ${client})`);
        }
        assert.deepEqual(outside, [], 'nothing requested outside the service');
        await page.screenshot({ path: join(ARTIFACTS, `check-page-${label}.png`), fullPage: true });
      } finally {
        await context.close();
      }
    });
  }

  it('refuses to be framed by another page, while a framable answer of the same service loads', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const refusals: string[] = [];
    page.on('console', (m) => {
      if (/frame-ancestors/.test(m.text())) refusals.push(m.text());
    });
    try {
      await page.setContent(
        `<!doctype html><title>framer</title><iframe id="page" src="${base}/check"></iframe><iframe id="control" src="${base}/health"></iframe>`,
      );
      await page.frameLocator('#control').locator('body').filter({ hasText: '"status":"ok"' }).waitFor();
      assert.ok(await waitFor(() => refusals.length > 0), 'Chromium refused to frame /check (frame-ancestors)');
      assert.equal(await page.frameLocator('#page').locator('#domain').count(), 0, 'no form inside the frame');
    } finally {
      await context.close();
    }
  });

  it('re-renders the form with the error for invalid input', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      await page.goto(`${base}/check`);
      await page.fill('#domain', 'not a domain');
      const [response] = await Promise.all([page.waitForResponse(`${base}/check`), page.click('button[type=submit]')]);
      assert.equal(response.status(), 400);
      assert.match(await page.locator('[role=alert]').innerText(), /Domain "not a domain" contains a space/);
      assert.equal(await page.inputValue('#domain'), 'not a domain');
    } finally {
      await context.close();
    }
  });
});
