/**
 * The HTML report: one self-contained document (inline CSS, no scripts, no
 * external resources) for a sandboxed iframe, a file, or print; and the same
 * report as a preact component for pages that embed it.
 */
import { h } from 'preact';
import { render } from 'preact-render-to-string';
import type { Observation } from '../../model/observation.js';
import type { CheckState } from '../../model/status.js';
import { evaluate } from '../../rules/index.js';
import { DOCUMENT_CSS, REPORT_CSS } from './report-css.js';
import { ReportBody } from './report-view.js';
import { buildReportView } from '../view-model.js';

export { REPORT_CSS } from './report-css.js';
export { ReportView, type ReportViewProps } from './report-view.js';
export { buildReportView, type ReportViewModel } from '../view-model.js';

/**
 * Nothing may load or run, even if a bug let markup through: the policy
 * allows inline styles only (hosts also sandbox the iframe; a file opened
 * from disk has only this).
 */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

export interface RenderReportOptions {
  states?: readonly CheckState[] | undefined;
  related?: Readonly<Record<string, readonly unknown[]>> | undefined;
}

/**
 * The full `<!doctype html>` document for `obs`. Without states (absent or
 * empty: every rule yields at least one state, so an empty list cannot be an
 * evaluation) the rules are evaluated here, once, with `related`, and the
 * report says so.
 */
export function renderReport(obs: Observation, opts: RenderReportOptions = {}): string {
  const given = opts.states !== undefined && opts.states.length > 0;
  const states = given ? opts.states! : evaluate(obs, opts.related ? { related: opts.related } : {});
  const vm = buildReportView(obs, { states, related: opts.related, evaluatedByReport: !given });
  const doc = h(
    'html',
    { lang: 'en' },
    h(
      'head',
      null,
      h('meta', { charset: 'utf-8' }),
      h('meta', { 'http-equiv': 'Content-Security-Policy', content: CSP }),
      h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
      h('meta', { name: 'color-scheme', content: 'light' }),
      h('title', null, vm.title),
      // The only raw HTML: our own static stylesheet, no data in it.
      h('style', { dangerouslySetInnerHTML: { __html: DOCUMENT_CSS + REPORT_CSS } }),
    ),
    h('body', null, h(ReportBody, { vm })),
  );
  return `<!doctype html>\n${render(doc)}\n`;
}
