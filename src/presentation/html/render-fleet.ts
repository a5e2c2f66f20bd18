/**
 * The fleet summary as one self-contained document, like the report: inline
 * CSS, no scripts, no external resources, the same Content-Security-Policy.
 * Its only links point at the output's lines (`results.jsonl#L123`): a
 * person follows them, the page never loads them.
 */
import { h } from 'preact';
import { render } from 'preact-render-to-string';
import { REPORT_CSP } from './render-report.js';
import { DOCUMENT_CSS, REPORT_CSS } from './report-css.js';
import { FleetBody, type FleetViewProps } from './fleet-view.js';

/** Additions to the report's stylesheet, under the same `r-` scope rules (prefixed `f-`). */
const FLEET_CSS = `
.f-head h1{margin-bottom:8px}
.f-counts{list-style:none;display:flex;flex-wrap:wrap;gap:6px 18px;margin:6px 0;padding:0}
.f-domains{margin:4px 0;padding-left:20px}
.f-domains li{margin:3px 0}
.f-line{font-size:.8rem;margin-left:6px}
.f-error{display:block;color:var(--r-muted)}
.r-table td.f-num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.r-table td.f-code{overflow-wrap:anywhere}
@media (max-width:720px){.f-when{display:none}}
.f-bar{display:inline-block;min-width:5.5em;background:linear-gradient(90deg,var(--r-ok-bg) var(--f-share),transparent var(--f-share));padding:0 4px}
`;

export type { FleetViewProps } from './fleet-view.js';

export function renderFleetReport(props: FleetViewProps): string {
  const title = `Fleet report: ${props.summary.domains.toLocaleString('en-US')} domains`;
  const doc = h(
    'html',
    { lang: 'en' },
    h(
      'head',
      null,
      h('meta', { charset: 'utf-8' }),
      h('meta', { 'http-equiv': 'Content-Security-Policy', content: REPORT_CSP }),
      h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
      h('meta', { name: 'color-scheme', content: 'light' }),
      h('title', null, title),
      // The only raw HTML: our own static stylesheets, no data in them.
      h('style', { dangerouslySetInnerHTML: { __html: DOCUMENT_CSS + REPORT_CSS + FLEET_CSS } }),
    ),
    h('body', null, h(FleetBody, props)),
  );
  return `<!doctype html>\n${render(doc)}\n`;
}
