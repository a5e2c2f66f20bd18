/**
 * The HTML report in real headless Chromium (Debian's `chromium` package,
 * driven by playwright-core; no browser download): What to fix and the OPEN
 * RELAY badge visible, the failing endpoint's section open and the healthy
 * ones closed, nothing requested outside the page, readable with JavaScript
 * off and inside a sandboxed iframe, no sideways scrolling on a phone.
 * Screenshots at desktop and phone widths go to test-artifacts/ (git-ignored).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderReport } from '../../src/presentation/html/render-report.js';
import { PACKAGE_ROOT } from '../../src/model/package-info.js';
import type { Observation } from '../../src/model/observation.js';
import {
  hostileObservation,
  mixedObservation,
  noStartTlsObservation,
  nullMxObservation,
  observation,
  openRelayObservation,
  relatedTls,
  transaction,
} from '../fixtures/observations.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(PACKAGE_ROOT, 'test-artifacts');
const WIDTHS = { desktop: 1280, phone: 390 } as const;
/** Chromium starts slowly on a loaded two-core machine; the budget is for the whole file, not a timing claim. */
const BROWSER_TEST_TIMEOUT_MS = 120_000;

/** Mixed families, one endpoint down, one open relay: the report an operator most needs to read fast. */
function showcaseObservation(): Observation {
  const obs = mixedObservation();
  obs.endpoints[2]!.transactions = [
    transaction('null_sender', 'accepted'),
    transaction('postmaster', 'accepted'),
    transaction('open_relay', 'accepted'),
  ];
  return obs;
}

const REPORTS: Record<string, () => string> = {
  healthy: () => renderReport(observation()),
  'open-relay': () => renderReport(openRelayObservation()),
  'no-starttls': () => renderReport(noStartTlsObservation()),
  'null-mx': () => renderReport(nullMxObservation()),
  mixed: () => renderReport(mixedObservation()),
  showcase: () => renderReport(showcaseObservation()),
  'related-tls': () =>
    renderReport(observation(), {
      related: {
        tls_probes: [
          relatedTls('mx1.example.com:25', {
            tls_version: 'TLSv1.3',
            hostname_match: true,
            chain_valid: false,
            chain_error: 'certificate has expired',
          }),
        ],
      },
    }),
  'related-malformed': () =>
    renderReport(observation(), { related: { tls_probes: [relatedTls('mx1.example.com:25', 42), 'junk'] } }),
  hostile: () => renderReport(hostileObservation()),
};

let browser: Browser;
const files: Record<string, string> = {};

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser tests need it. Install the Debian package: apt-get install -y --no-install-recommends chromium (or set CHROMIUM_PATH).`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const [name, render] of Object.entries(REPORTS)) {
    files[name] = join(ARTIFACTS, `report-${name}.html`);
    writeFileSync(files[name], render());
  }
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

after(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  /** Every URL the page asked for besides itself. */
  outside: string[];
  close(): Promise<void>;
}

/** Opens a report file with JavaScript off, recording (and refusing) any request that is not the file itself. */
async function open(name: string, width: number): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, javaScriptEnabled: false });
  const page = await context.newPage();
  const self = pathToFileURL(files[name]!).href;
  const outside: string[] = [];
  await page.route('**/*', (route) => {
    if (route.request().url() === self) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  page.on('request', (req) => {
    if (req.url() !== self && !outside.includes(req.url())) outside.push(req.url());
  });
  await page.goto(self);
  return { page, outside, close: () => context.close() };
}

const openStates = (page: Page) =>
  page.$$eval('details.r-ep', (els) =>
    els.map((el) => [el.getAttribute('data-subject'), (el as HTMLDetailsElement).open] as [string | null, boolean]),
  );

describe('the HTML report in Chromium', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
  it('shows What to fix, the OPEN RELAY badge and opens only the failing endpoint', async () => {
    const { page, outside, close } = await open('showcase', WIDTHS.desktop);
    try {
      await assert.doesNotReject(page.locator('#r-fix').waitFor({ state: 'visible' }));
      assert.match(
        (await page.locator('#r-fix li').first().innerText()).replace(/\s+/g, ' '),
        /^CRIT 192\.0\.2\.20:25 smtp\.open_relay/,
      );
      assert.ok(await page.locator('#r-summary .r-badge-relay').isVisible(), 'badge visible in the summary table');
      const badgeBox = (await page.locator('#r-summary .r-badge-relay').boundingBox())!;
      const tableBox = (await page.locator('#r-summary .r-scroll').boundingBox())!;
      assert.ok(
        badgeBox.x + badgeBox.width <= tableBox.x + tableBox.width,
        'badge inside the table box, not scrolled off',
      );
      assert.equal(
        await page.locator('#r-summary .r-badge-relay').evaluate((el) => getComputedStyle(el).backgroundColor),
        'rgb(193, 18, 31)',
      );
      assert.deepEqual(await openStates(page), [
        ['192.0.2.10:25', false],
        ['[2001:db8::10]:25', false],
        ['192.0.2.20:25', true],
        ['[2001:db8::20]:25', true],
      ]);
      assert.ok(await page.locator('#r-ep-2 .r-transcript').isVisible(), 'the open section shows its transcript');
      assert.equal(await page.locator('#r-ep-0 .r-transcript').isVisible(), false, 'the closed one hides it');
      assert.deepEqual(outside, []);
    } finally {
      await close();
    }
  });

  it('keeps a healthy report calm: no badge, every section closed', async () => {
    const { page, outside, close } = await open('healthy', WIDTHS.desktop);
    try {
      assert.equal(await page.locator('.r-badge-relay').count(), 0);
      assert.match(await page.locator('#r-fix').innerText(), /Nothing to fix\./);
      assert.deepEqual(
        (await openStates(page)).map(([, o]) => o),
        [false, false],
      );
      assert.deepEqual(outside, []);
    } finally {
      await close();
    }
  });

  it('renders every golden report at desktop and phone width, requesting nothing, without sideways scrolling on a phone', async () => {
    for (const name of Object.keys(REPORTS)) {
      for (const [label, width] of Object.entries(WIDTHS)) {
        const { page, outside, close } = await open(name, width);
        try {
          assert.ok(await page.locator('#r-verdict').isVisible(), `${name}: verdict visible`);
          assert.ok(await page.locator('#r-fix').isVisible(), `${name}: What to fix visible`);
          const [scroll, client] = await page.evaluate(() => [
            document.documentElement.scrollWidth,
            document.documentElement.clientWidth,
          ]);
          if (width === WIDTHS.phone)
            assert.ok(scroll <= client, `${name}: no horizontal scrolling at ${width}px (${scroll} > ${client})`);
          const clipped = await page.$$eval(
            '#r-summary .r-scroll',
            (els) => els.filter((el) => el.scrollWidth > el.clientWidth).length,
          );
          assert.equal(clipped, 0, `${name}: the summary table fits at ${width}px`);
          assert.deepEqual(outside, [], `${name}: nothing requested outside the page`);
          await page.screenshot({ path: join(ARTIFACTS, `report-${name}-${label}.png`), fullPage: true });
        } finally {
          await close();
        }
      }
    }
  });

  it('shows hostile server text as text: no element, no dialog, no request', async () => {
    const { page, outside, close } = await open('hostile', WIDTHS.desktop);
    try {
      assert.equal(await page.locator('script, img, iframe, object, embed').count(), 0);
      assert.match(await page.locator('#r-ep-0 .r-pre').first().innerText(), /ESMTP <script>alert\(1\)<\/script>/);
      assert.match(await page.title(), /example\.com<script>alert\(1\)<\/script>/);
      assert.deepEqual(outside, []);
    } finally {
      await close();
    }
  });

  it('reads the same inside a sandboxed iframe, as happyDomain shows it', async () => {
    const context = await browser.newContext({ viewport: { width: WIDTHS.desktop, height: 900 } });
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    try {
      const srcdoc = REPORTS['open-relay']!().replace(/&/g, '&amp;').replace(/"/g, '&quot;');
      await page.setContent(
        `<!doctype html><title>host</title><iframe sandbox style="width:1200px;height:800px" srcdoc="${srcdoc}"></iframe>`,
      );
      const frame = page.frameLocator('iframe');
      await frame.locator('#r-fix').waitFor({ state: 'visible' });
      assert.ok(await frame.locator('#r-summary .r-badge-relay').isVisible());
      assert.equal(await frame.locator('details[open]').count(), 1);
      assert.deepEqual(
        requests.filter((u) => !u.startsWith('about:')),
        [],
        'the sandboxed report requests nothing',
      );
    } finally {
      await context.close();
    }
  });

  it('prints with every endpoint section expanded', async () => {
    const { page, close } = await open('showcase', WIDTHS.desktop);
    try {
      await page.emulateMedia({ media: 'print' });
      assert.ok(await page.locator('#r-ep-0 .r-transcript').isVisible(), 'a closed section prints its content');
      await page.pdf({ path: join(ARTIFACTS, 'report-showcase.pdf') });
    } finally {
      await close();
    }
  });
});
