import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../model/package-info.js';
import { HOSTILE_DOMAIN, fleetProps } from '../../../test/fixtures/fleet-model.js';
import { renderFleetReport } from './render-fleet.js';

/** The expected document; `UPDATE_GOLDEN=1` rewrites it after a deliberate change (then read the diff). */
const GOLDEN = join(PACKAGE_ROOT, 'test', 'fixtures', 'fleet-report.golden.html');

/** Elements the fleet summary uses: any other tag would be data that escaped, or an external resource. */
const OWN_TAGS = new Set(
  'html head meta title style body div header section h1 h2 h3 p span strong code a ul li table thead tbody tr th td'.split(
    ' ',
  ),
);

test('renderFleetReport() matches the golden document', () => {
  const html = renderFleetReport(fleetProps());
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, html);
  assert.equal(html, readFileSync(GOLDEN, 'utf8'));
});

test('renderFleetReport() is self-contained: our own elements, one inline stylesheet, the CSP, links only to output lines', () => {
  const html = renderFleetReport(fleetProps('../runs/results.jsonl'));
  assert.ok(html.startsWith('<!doctype html>\n<html lang="en">'));
  for (const [tag, name, attrs] of html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    assert.ok(OWN_TAGS.has(name!.toLowerCase()), `unexpected element ${tag}`);
    assert.ok(!/\son[a-z]+=/i.test(attrs!), `no event handler in ${tag}`);
    assert.ok(!/\s(src|srcset|action|formaction)=/i.test(attrs!), `no resource attribute in ${tag}`);
    const href = /\shref="([^"]*)"/.exec(attrs!);
    if (href) assert.match(href[1]!, /^\.\.\/runs\/results\.jsonl#L\d+$/, 'links point at output lines');
  }
  const css = html.slice(html.indexOf('<style>'), html.indexOf('</style>'));
  assert.ok(!/url\(|@import/i.test(css), 'the stylesheet loads nothing');
  assert.match(
    html,
    /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';/,
  );
  assert.ok(!html.includes(HOSTILE_DOMAIN), 'a hostile name is escaped');
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)>.example'));
});

test('renderFleetReport() without an output file names the line instead of linking it', () => {
  const html = renderFleetReport(fleetProps(null));
  assert.ok(!html.includes('href='));
  assert.match(html, /<strong>relay\.example<\/strong> <span class="r-muted">line 4<\/span>/);
});
