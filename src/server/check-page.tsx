/**
 * The browser page GET/POST /check: a form, and one result page with the
 * states, the metrics and the report, for anyone without a host in front.
 * Rendered with JSX, so every value is escaped by construction.
 */
import type { ComponentChildren } from 'preact';
import { render } from 'preact-render-to-string';
import { DEFAULT_HELO_NAME, DEFAULT_PROBE_ADDRESS } from '../config/options.js';
import { DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S, MIN_TIMEOUT_S } from '../model/limits.js';
import type { CheckMetric } from '../presentation/metrics.js';
import type { Observation } from '../model/observation.js';
import { compareFindings } from '../model/order.js';
import { STATUS_NAMES, worstStatus, type CheckState } from '../model/status.js';
import { sanitize } from '../model/text.js';
import { REPORT_CSS, ReportView } from '../presentation/html/render-report.js';
import { TOKEN_FIELD } from './access-token.js';

/** The form as typed, kept to re-render it (strings, checkboxes as booleans). */
export interface FormValues {
  domain: string;
  helo_name: string;
  timeout: string;
  test_probe_address: string;
  test_null_sender: boolean;
  test_postmaster: boolean;
  test_open_relay: boolean;
}

export interface CheckForm {
  values: FormValues;
  /** Raw options for collect (validated there, before any connection). */
  options: Record<string, unknown>;
}

const PROBES = [
  ['test_null_sender', 'Null sender', 'MAIL FROM:<> accepted (bounces need it)'],
  ['test_postmaster', 'Postmaster', 'RCPT TO:<postmaster@domain> accepted'],
  ['test_open_relay', 'Open relay', 'an outside recipient refused'],
] as const;

/** Hidden marker: the form was submitted, so an absent checkbox means "off", not "default". */
const FORM_MARKER = 'form';

const text = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '');

export function formValues(body: Record<string, unknown>): FormValues {
  const submitted = body[FORM_MARKER] !== undefined;
  const box = (id: string) => (submitted ? body[id] !== undefined && body[id] !== '' && body[id] !== 'off' : true);
  return {
    domain: text(body['domain']),
    helo_name: text(body['helo_name']),
    timeout: text(body['timeout']),
    test_probe_address: text(body['test_probe_address']),
    test_null_sender: box('test_null_sender'),
    test_postmaster: box('test_postmaster'),
    test_open_relay: box('test_open_relay'),
  };
}

export function parseCheckForm(body: Record<string, unknown>): CheckForm {
  const values = formValues(body);
  const options: Record<string, unknown> = {
    domain: values.domain,
    test_null_sender: values.test_null_sender,
    test_postmaster: values.test_postmaster,
    test_open_relay: values.test_open_relay,
  };
  if (values.helo_name.trim() !== '') options['helo_name'] = values.helo_name;
  if (values.timeout.trim() !== '') options['timeout'] = values.timeout;
  if (values.test_probe_address.trim() !== '') options['test_probe_address'] = values.test_probe_address;
  return { values, options };
}

const PAGE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
.p-wrap{max-width:1272px;margin:0 auto;padding:1rem}
.p-head h1{font-size:1.4rem;margin:.2rem 0}
.p-head p{margin:.2rem 0;color:#444}
.p-form{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0;display:grid;gap:.8rem;grid-template-columns:repeat(auto-fit,minmax(230px,1fr))}
.p-form label{display:block;font-weight:600}
.p-form input[type=text],.p-form input[type=password],.p-form input[type=number]{width:100%;padding:.45rem;border:1px solid #888;border-radius:4px;font:inherit}
.p-form fieldset{border:1px solid #ddd;border-radius:4px;grid-column:1/-1}
.p-form fieldset label{font-weight:400;display:inline-block;margin-right:1.2rem}
.p-form .p-hint{font-size:.85rem;color:#555;font-weight:400}
.p-form button{grid-column:1/-1;justify-self:start;padding:.55rem 1.4rem;font:inherit;font-weight:600;background:#0b57d0;color:#fff;border:0;border-radius:4px;cursor:pointer}
.p-error{border:2px solid #b00020;background:#fdecee;color:#5f0010;padding:.7rem 1rem;border-radius:6px;margin:1rem 0}
.p-section{margin:1.5rem 0}
.p-section h2{font-size:1.15rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.p-table{border-collapse:collapse;width:100%;font-size:.9rem}
.p-table th,.p-table td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.p-table th{background:#f3f3f3}
.p-scroll{overflow-x:auto}
.p-st{font-weight:700;white-space:nowrap}
.p-st-1{color:#11632a}.p-st-2{color:#1d4f91}.p-st-3{color:#8a5300}.p-st-4,.p-st-5{color:#b00020}.p-st-0{color:#555}
@media print{.p-form,.p-noprint{display:none}}
`;

function Layout({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>{title}</title>
        <style dangerouslySetInnerHTML={{ __html: PAGE_CSS + REPORT_CSS }} />
      </head>
      <body>
        <div class="p-wrap">
          <header class="p-head">
            <h1>checker-smtp</h1>
            <p>
              Can this domain receive mail correctly? Probes every MX endpoint (greeting, EHLO, STARTTLS, reverse DNS,
              null sender, postmaster and open relay, stopped at RCPT: no mail is sent).
            </p>
          </header>
          {children}
        </div>
      </body>
    </html>
  );
}

function CheckFormView({
  values,
  needsToken,
  probeAddress,
}: {
  values: FormValues | undefined;
  needsToken: boolean;
  probeAddress: boolean;
}) {
  const v = values ?? formValues({});
  return (
    <form class="p-form" method="post" action="/check">
      <input type="hidden" name={FORM_MARKER} value="1" />
      <div>
        <label for="domain">Domain</label>
        <input
          type="text"
          id="domain"
          name="domain"
          value={v.domain}
          placeholder="example.com"
          required
          autocomplete="off"
          spellcheck={false}
        />
      </div>
      <div>
        <label for="helo_name">
          EHLO name <span class="p-hint">(default {DEFAULT_HELO_NAME})</span>
        </label>
        <input type="text" id="helo_name" name="helo_name" value={v.helo_name} placeholder={DEFAULT_HELO_NAME} />
      </div>
      {probeAddress ? (
        <div>
          <label for="test_probe_address">
            Relay-probe recipient <span class="p-hint">(outside the domain)</span>
          </label>
          <input
            type="text"
            id="test_probe_address"
            name="test_probe_address"
            value={v.test_probe_address}
            placeholder={DEFAULT_PROBE_ADDRESS}
          />
        </div>
      ) : null}
      <div>
        <label for="timeout">
          Timeout per endpoint, seconds{' '}
          <span class="p-hint">
            ({MIN_TIMEOUT_S}–{MAX_TIMEOUT_S})
          </span>
        </label>
        <input
          type="number"
          id="timeout"
          name="timeout"
          value={v.timeout}
          placeholder={String(DEFAULT_TIMEOUT_S)}
          min={MIN_TIMEOUT_S}
          max={MAX_TIMEOUT_S}
          step="any"
        />
      </div>
      <fieldset>
        <legend>Probes (each stops at RCPT)</legend>
        {PROBES.map(([id, label, hint]) => (
          <label key={id}>
            <input type="checkbox" name={id} checked={v[id]} /> {label} <span class="p-hint">({hint})</span>
          </label>
        ))}
      </fieldset>
      {needsToken ? (
        <div>
          <label for="token">Access token</label>
          <input type="password" id="token" name={TOKEN_FIELD} autocomplete="current-password" />
        </div>
      ) : null}
      <button type="submit">Check</button>
    </form>
  );
}

export interface FormPageProps {
  values?: FormValues | undefined;
  error?: string;
  needsToken: boolean;
  /** Show the relay-probe recipient field (the deployment lets visitors choose it); hidden by default. */
  probeAddress?: boolean;
}

export function checkFormPage({ values, error, needsToken, probeAddress = false }: FormPageProps): string {
  return `<!doctype html>\n${render(
    <Layout title="checker-smtp: check a domain">
      {error ? (
        <div class="p-error" role="alert">
          {error}
        </div>
      ) : null}
      <CheckFormView values={values} needsToken={needsToken} probeAddress={probeAddress} />
    </Layout>,
  )}`;
}

/**
 * State fields carry server text (a greeting, a reply, a host name): JSX
 * escapes markup, and sanitize() the characters that reorder or hide text
 * (bidi overrides, ESC), as the report does.
 */
const shown = (text: string | undefined): string => (text === undefined ? '' : sanitize(text));

function StatesTable({ states }: { states: CheckState[] }) {
  // The report's order (severity, subject, code), so the table and the report above it read alike.
  const sorted = [...states].sort(compareFindings);
  return (
    <div class="p-scroll">
      <table class="p-table">
        <thead>
          <tr>
            <th>Status</th>
            <th>Rule</th>
            <th>Code</th>
            <th>Subject</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((s, i) => (
            <tr key={i}>
              <td class={`p-st p-st-${s.status}`}>{STATUS_NAMES[s.status]}</td>
              <td>{shown(s.rule)}</td>
              <td>{shown(s.code)}</td>
              <td>{shown(s.subject)}</td>
              <td>{shown(s.message)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MetricsTable({ metrics }: { metrics: CheckMetric[] }) {
  return (
    <div class="p-scroll">
      <table class="p-table">
        <thead>
          <tr>
            <th>Metric</th>
            <th>Labels</th>
            <th>Value</th>
          </tr>
        </thead>
        <tbody>
          {metrics.map((m, i) => (
            <tr key={i}>
              <td>{m.name}</td>
              <td>
                {shown(
                  Object.entries(m.labels ?? {})
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' '),
                )}
              </td>
              <td>
                {m.value}
                {m.unit ? ` ${m.unit}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export interface ResultPageProps {
  values: FormValues;
  obs: Observation;
  states: CheckState[];
  metrics: CheckMetric[];
  needsToken: boolean;
  probeAddress?: boolean;
}

export function checkResultPage({
  values,
  obs,
  states,
  metrics,
  needsToken,
  probeAddress = false,
}: ResultPageProps): string {
  return `<!doctype html>\n${render(
    <Layout title={`${obs.domain}: ${STATUS_NAMES[worstStatus(states)]} (checker-smtp)`}>
      <CheckFormView values={values} needsToken={needsToken} probeAddress={probeAddress} />
      <section class="p-section" id="report">
        <ReportView obs={obs} states={states} />
      </section>
      <section class="p-section" id="states">
        <h2>Rule states ({states.length})</h2>
        <StatesTable states={states} />
      </section>
      <section class="p-section" id="metrics">
        <h2>Metrics</h2>
        <MetricsTable metrics={metrics} />
      </section>
    </Layout>,
  )}`;
}
