/**
 * One check, three reports: the terminal text, the HTML report and the
 * /check result page must list the same findings in the same order
 * (severity, then natural subject order, then code), because they all render
 * one report model. Rendered in-process; the order is read back out of each
 * output as a reader would see it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate } from '../../src/rules/index.js';
import { renderText } from '../../src/presentation/text/render-text.js';
import { renderReport } from '../../src/presentation/html/render-report.js';
import { checkResultPage, formValues } from '../../src/server/check-page.js';
import { metricsOf } from '../../src/presentation/metrics.js';
import { Status, type CheckState } from '../../src/model/status.js';
import { endpoint, mixedObservation, transaction } from '../fixtures/observations.js';

/** A check with findings of every severity, on subjects whose natural and code-point orders differ. */
function check() {
  const obs = mixedObservation();
  // 192.0.2.9 sorts before 192.0.2.10 naturally, after it by code point.
  obs.endpoints.unshift(
    endpoint({
      address: '192.0.2.9',
      transactions: [
        transaction('null_sender', 'rejected'),
        transaction('postmaster', 'accepted'),
        transaction('open_relay', 'accepted'),
      ],
    }),
  );
  obs.endpoints[1]!.reverse_dns = { ptr: [], ptr_error: null, forward: [], fcrdns: false };
  const extra: CheckState[] = [
    {
      status: Status.WARN,
      rule: 'host.extra',
      code: 'host.a_first',
      subject: '192.0.2.10:25',
      message: 'A warning whose code sorts first.',
      meta: { fix: 'Fix it.' },
    },
    { status: Status.INFO, rule: 'host.extra', code: 'host.note', subject: '192.0.2.9:25', message: 'A note.' },
  ];
  return { obs, states: [...extra, ...evaluate(obs)].reverse() };
}

type Listed = [code: string, subject: string];

function fromText(text: string): Listed[] {
  const section = text.slice(text.indexOf('What to fix'), text.indexOf('\nDNS'));
  return [...section.matchAll(/^ {2}(?:CRIT|WARN|UNKNOWN|INFO|ERROR) +(\S+) {2}\(([^,)]+)/gm)].map((m) => [
    m[2]!,
    m[1]!,
  ]);
}

/** The What to fix panel of a report, wherever it is embedded. */
function fromHtml(html: string): Listed[] {
  const panel = html.slice(html.indexOf('data-panel="fix"'), html.indexOf('data-panel="summary"'));
  assert.ok(panel.length > 0, 'the page has a What to fix panel');
  return [...panel.matchAll(/class="r-subj"[^>]*>([^<]*)<\/(?:a|span)><code class="r-code">([^<]*)<\/code>/g)].map(
    (m) => [m[2]!, m[1]!],
  );
}

test('the terminal, the HTML report and the /check page list the same findings in the same order', () => {
  const { obs, states } = check();
  const text = fromText(renderText(obs, states, { color: false }));
  const report = fromHtml(renderReport(obs, { states }));
  const page = fromHtml(
    checkResultPage({
      values: formValues({ domain: obs.domain }),
      obs,
      states,
      metrics: metricsOf(obs, states),
      needsToken: false,
    }),
  );
  assert.ok(text.length >= 6, `enough findings to order: ${JSON.stringify(text)}`);
  assert.deepEqual(report, text, 'HTML report and terminal');
  assert.deepEqual(page, text, '/check page and terminal');
  // The one order: severity first, then 192.0.2.9 before 192.0.2.10, then code.
  const at = (code: string, subject: string) => text.findIndex(([c, s]) => c === code && s === subject);
  assert.ok(at('smtp.open_relay', '192.0.2.9:25') < at('host.a_first', '192.0.2.10:25'), 'CRIT before WARN');
  assert.ok(at('host.a_first', '192.0.2.10:25') < at('smtp.ptr.missing', '192.0.2.10:25'), 'then by code');
  assert.ok(at('host.note', '192.0.2.9:25') === text.length - 1, 'INFO last');
  const crit = text.filter(([code]) => code.startsWith('smtp.open_relay') || code.startsWith('smtp.endpoint'));
  assert.deepEqual(
    crit.map(([, s]) => s),
    ['192.0.2.9:25', '[2001:db8::20]:25'],
  );
});
