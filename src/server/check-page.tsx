/**
 * The browser page GET/POST /check: a form, and one result page with the
 * report, the states and the metrics, for anyone without a host in front.
 * The result page is streamed (routes/check.ts): its frame (head, form) and
 * its progress come first, the result last; every piece here renders a
 * whole element, so the document is well-formed at each step. Rendered with
 * JSX, so every value is escaped by construction.
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
import { parseMxHosts } from '../config/mx-hosts.js';
import type { MxRecord } from '../model/mx-record.js';
import { CheckerError, OptionError } from '../model/errors.js';

/** The form as typed, kept to re-render it (strings, checkboxes as booleans). */
export interface FormValues {
  domain: string;
  helo_name: string;
  timeout: string;
  test_probe_address: string;
  /** The MX hosts to probe instead of a lookup (HOST[:PORT], comma-separated), as the CLI's --mx. */
  mx: string;
  test_null_sender: boolean;
  test_postmaster: boolean;
  test_open_relay: boolean;
}

export interface CheckForm {
  values: FormValues;
  /** Raw options for collect (validated there, before any connection). */
  options: Record<string, unknown>;
  /** The MX hosts given, parsed; undefined: look the MX records up. */
  mx: MxRecord[] | undefined;
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
    mx: text(body['mx']),
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
  return { values, options, mx: values.mx.trim() === '' ? undefined : givenMx(values.mx) };
}

/** The MX field parsed as the CLI parses --mx; a bad item is the visitor's input, answered 400 like an option. */
function givenMx(input: string): MxRecord[] {
  try {
    return parseMxHosts(input);
  } catch (err) {
    if (err instanceof CheckerError) throw new OptionError('mx', err.message, { cause: err });
    throw err;
  }
}

/** Fields a shareable link carries when they differ from the empty form (never the token). */
const LINK_FIELDS = ['domain', 'mx', 'helo_name', 'timeout', 'test_probe_address'] as const;

/**
 * The query of a link that reopens this form as it was sent: the text fields
 * given, and the probes only when one is off (all on is the default).
 */
export function shareQuery(values: FormValues): string {
  const q = new URLSearchParams();
  for (const f of LINK_FIELDS) if (values[f].trim() !== '') q.set(f, values[f].trim());
  if (PROBES.some(([id]) => !values[id])) {
    q.set(FORM_MARKER, '1');
    for (const [id] of PROBES) if (values[id]) q.set(id, 'on');
  }
  return q.toString();
}

const PAGE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
.p-wrap{max-width:1272px;margin:0 auto;padding:1rem}
.p-head h1{font-size:1.4rem;margin:.2rem 0}
.p-head p{margin:.2rem 0;color:#444}
.p-form{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0;display:grid;gap:.8rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,19rem),1fr))}
.p-form label{display:block;font-weight:600}
.p-form input[type=text],.p-form input[type=password],.p-form input[type=number]{width:100%;min-width:0;padding:.45rem;border:1px solid #888;border-radius:4px;font:inherit}
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
.p-note{border:1px solid #9ab;background:#f2f6fb;color:#1a2a3a;padding:.7rem 1rem;border-radius:6px;margin:1rem 0}
.p-try{margin:-.4rem 0 1rem;color:#444}
.p-try a{margin:0 .3rem}
.p-progress ol{margin:.3rem 0;padding-left:1.4rem;font-size:.95rem}
.p-progress li{margin:.15rem 0}
.p-progress .p-done{color:#444}
.p-share{font-size:.95rem;overflow-wrap:anywhere}
details.p-more{margin:1rem 0;border:1px solid #ddd;border-radius:6px;padding:.4rem .8rem}
details.p-more>summary{cursor:pointer;font-weight:600}
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

/** The form's own options: what a deployment shows or offers beside the fields. */
export interface PageOptions {
  needsToken: boolean;
  /** Show the relay-probe recipient field (the deployment lets visitors choose it); hidden by default. */
  probeAddress?: boolean | undefined;
  /** `serve --demo`: the simulated domains, offered as links under the form. */
  demoDomains?: readonly string[] | undefined;
}

function CheckFormView({
  values,
  needsToken,
  probeAddress = false,
  demoDomains = [],
}: PageOptions & { values: FormValues | undefined }) {
  const v = values ?? formValues({});
  return (
    <>
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
          <label for="mx">
            MX hosts <span class="p-hint">(optional: probe these instead of the published MX)</span>
          </label>
          <input
            type="text"
            id="mx"
            name="mx"
            value={v.mx}
            placeholder="mx1.example.com, 192.0.2.1:2525"
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
        <button type="submit">Run the check</button>
      </form>
      {demoDomains.length > 0 ? (
        <p class="p-try" id="demo-domains">
          Demo: try{' '}
          {demoDomains.map((d, i) => (
            <>
              {i > 0 ? ' / ' : ''}
              <a href={`/check?${new URLSearchParams({ domain: d }).toString()}`}>{d}</a>
            </>
          ))}{' '}
          (simulated on this machine).
        </p>
      ) : null}
    </>
  );
}

export interface FormPageProps extends PageOptions {
  values?: FormValues | undefined;
  /** What went wrong, shown as an alert. */
  error?: string | undefined;
  /** A neutral word before anything was sent (the token prompt of a first visit): not an error. */
  notice?: string | undefined;
}

function Messages({ error, notice }: Pick<FormPageProps, 'error' | 'notice'>) {
  return (
    <>
      {error ? (
        <div class="p-error" role="alert">
          {error}
        </div>
      ) : null}
      {notice ? <p class="p-note">{notice}</p> : null}
    </>
  );
}

export function checkFormPage({ values, error, notice, ...page }: FormPageProps): string {
  return `<!doctype html>\n${render(
    <Layout title="checker-smtp: check a domain">
      <Messages error={error} notice={notice} />
      <CheckFormView values={values} {...page} />
    </Layout>,
  )}`;
}

/** Where the streamed parts go inside the page's frame: a comment, which no escaped text can contain. */
const STREAM_SLOT = '<!--checker-smtp:stream-->';

/** A streamed page's frame: everything before the streamed parts, and everything after. */
export interface PageFrame {
  head: string;
  tail: string;
}

/** The page's frame (head, form) around the place where progress and the result will be streamed. */
export function checkPageFrame({
  values,
  title,
  ...page
}: PageOptions & { values: FormValues; title: string }): PageFrame {
  const html = `<!doctype html>\n${render(
    <Layout title={title}>
      <CheckFormView values={values} {...page} />
      <div class="p-stream" dangerouslySetInnerHTML={{ __html: STREAM_SLOT }} />
    </Layout>,
  )}`;
  const at = html.indexOf(STREAM_SLOT);
  return { head: html.slice(0, at), tail: html.slice(at + STREAM_SLOT.length) };
}

/** The progress section's opening: "Checking example.com…", then its list of steps, left open. */
export function progressStart(domain: string): string {
  return `<section class="p-section p-progress p-noprint" id="progress">${render(<h2>Checking {shown(domain)}…</h2>)}<ol>`;
}

/** One step of the progress list. */
export function progressLine(text: string): string {
  return render(<li>{shown(text)}</li>);
}

/** The progress section's end: the list closed, with how long the check took. */
export function progressEnd(summary: string): string {
  return `</ol>${render(<p class="p-done">{shown(summary)}</p>)}</section>`;
}

/** An error after the page had begun: its status line was sent, so the page itself says what happened. */
export function streamedError(message: string): string {
  return render(
    <div class="p-error" role="alert" id="check-error">
      <p>{shown(message)}</p>
      <p class="p-hint">
        The check stopped after this page had begun, so its HTTP status (200) could not say so: this message is the
        answer.
      </p>
    </div>,
  );
}

/** The link that reopens this check: its form filled in (and run, where the deployment allows it). */
export function shareLink(url: string): string {
  return render(
    <p class="p-share" id="share">
      Link to this check: <a href={url}>{url}</a>
    </p>,
  );
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

export interface ResultProps {
  obs: Observation;
  states: CheckState[];
  metrics: CheckMetric[];
}

/**
 * The result part of the page: the report (verdict, What to fix or "Nothing
 * to fix", endpoints), then the rule states and the metrics, collapsed: they
 * are evidence for the curious, not what a visitor came to read.
 */
export function CheckResult({ obs, states, metrics }: ResultProps) {
  return (
    <>
      <section class="p-section" id="report">
        <ReportView obs={obs} states={states} />
      </section>
      <details class="p-more" id="states">
        <summary>Rule states ({states.length})</summary>
        <StatesTable states={states} />
      </details>
      <details class="p-more" id="metrics">
        <summary>Metrics ({metrics.length})</summary>
        <MetricsTable metrics={metrics} />
      </details>
    </>
  );
}

export function checkResultHtml(props: ResultProps): string {
  return render(<CheckResult {...props} />);
}

export interface ResultPageProps extends ResultProps, PageOptions {
  values: FormValues;
}

/** The whole result page at once (the same frame and result part as the streamed page, without progress). */
export function checkResultPage({ values, obs, states, metrics, ...page }: ResultPageProps): string {
  const frame = checkPageFrame({
    values,
    title: `${obs.domain}: ${STATUS_NAMES[worstStatus(states)]} (checker-smtp)`,
    ...page,
  });
  return frame.head + checkResultHtml({ obs, states, metrics }) + frame.tail;
}
