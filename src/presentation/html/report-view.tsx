/**
 * The report's layout, in JSX rendered by preact: every text node and
 * attribute is escaped by the renderer, so server-supplied text (banners,
 * replies, certificate fields) can only ever show as text. Top to bottom:
 * verdict, What to fix, endpoint summary, the egress check when it ran, one
 * <details> per endpoint, DNS.
 */
import type { ComponentChildren } from 'preact';
import type { Observation } from '../../model/observation.js';
import type { CheckState } from '../../model/status.js';
import {
  buildReportView,
  type Cell,
  type EndpointSection,
  type FindingSubject,
  type FixItem,
  type KeyValue,
  type ReportViewModel,
  type StatusView,
  type SummaryRow,
} from '../view-model.js';
import { NONE, NONE_ADVERTISED, NOT_REACHED } from '../wording.js';

export interface ReportViewProps {
  obs: Observation;
  /** The rule states to show: the component renders them, it does not evaluate the rules. */
  states: readonly CheckState[];
  related?: Readonly<Record<string, readonly unknown[]>> | undefined;
}

function Status({ s }: { s: StatusView }) {
  return <span class={`r-st r-st-${s.key}`}>{s.label}</span>;
}

function OpenRelayBadge() {
  return <span class="r-badge-relay">OPEN RELAY</span>;
}

function Tone({ c }: { c: Cell }) {
  return <span class={`r-t-${c.tone}`}>{c.text}</span>;
}

function KeyValues({ items }: { items: KeyValue[] }) {
  return (
    <dl class="r-kv">
      {items.map((kv) => (
        <>
          <dt>{kv.label}</dt>
          <dd>{kv.value}</dd>
        </>
      ))}
    </dl>
  );
}

function Verdict({ vm }: { vm: ReportViewModel }) {
  return (
    <header class={`r-verdict r-verdict-${vm.verdict.key}`} id="r-verdict" data-panel="verdict">
      <h1>{vm.title}</h1>
      <p class="r-verdict-line">
        <Status s={vm.verdict} /> {vm.verdict.sentence}
      </p>
      <p class="r-muted">{vm.about}</p>
      {vm.cutNote && <p class="r-t-warn">{vm.cutNote}</p>}
      {vm.statesNote && <p class="r-muted">{vm.statesNote}</p>}
    </header>
  );
}

function Subject({ s }: { s: FindingSubject }) {
  return s.anchor ? (
    <a class="r-subj" href={`#${s.anchor}`}>
      {s.text}
    </a>
  ) : (
    <span class="r-subj">{s.text}</span>
  );
}

function FixEntry({ f }: { f: FixItem }) {
  const group = f.subjects.length > 1;
  return (
    <li class={`r-fix-item r-fix-${f.key}`}>
      <div class="r-fix-head">
        <Status s={f} />
        {group ? (
          <span class="r-subj">{f.subject}</span>
        ) : (
          <Subject s={f.subjects[0] ?? { text: f.subject, anchor: f.anchor }} />
        )}
        <code class="r-code">{f.code}</code>
        {f.saidBy && <span class="r-muted">({f.saidBy})</span>}
      </div>
      {group && (
        <p class="r-subjects">
          {f.subjects.map((s, i) => (
            <>
              {i > 0 && ', '}
              <Subject s={s} />
            </>
          ))}
        </p>
      )}
      <p class="r-msg">{f.message}</p>
      {f.fixAsAbove ? (
        <p class="r-hint r-muted">
          <span class="r-hint-label">Fix: </span>as above
        </p>
      ) : (
        f.fix.map((hint) => (
          <p class="r-hint">
            <span class="r-hint-label">Fix: </span>
            {hint}
          </p>
        ))
      )}
    </li>
  );
}

function WhatToFix({ vm }: { vm: ReportViewModel }) {
  return (
    <section class="r-fix" id="r-fix" data-panel="fix" aria-labelledby="r-fix-h">
      <h2 id="r-fix-h">What to fix</h2>
      {vm.nothingToFix !== null ? (
        <p class="r-nothing">{vm.nothingToFix}</p>
      ) : (
        <ol>
          {vm.fixes.map((f) => (
            <FixEntry f={f} />
          ))}
        </ol>
      )}
      {vm.untested.length > 0 && (
        <>
          <h3>Could not be tested</h3>
          <ul class="r-list">
            {vm.untested.map((f) => (
              <li>
                <Status s={f} /> <span class="r-code">{f.by}</span>: {f.message}
                {f.subjects.length > 1 && ` (${f.subjects.map((s) => s.text).join(', ')})`}
              </li>
            ))}
          </ul>
        </>
      )}
      {vm.remarks.length > 0 && (
        <div data-panel="remarks">
          <h3>Remarks (nothing to fix)</h3>
          <ol class="r-remarks">
            {vm.remarks.map((f) => (
              <FixEntry f={f} />
            ))}
          </ol>
        </div>
      )}
      {vm.passed && <p class="r-muted r-passed">{vm.passed}</p>}
      {vm.relatedNotes.map((n) => (
        <p class="r-muted">{n}</p>
      ))}
    </section>
  );
}

/** Header, cell, and whether the cell may wrap (free text from the server); the others stay on one line. */
const COLUMNS: [string, (r: SummaryRow) => ComponentChildren, boolean?][] = [
  [
    'Address, family',
    (r) => (
      <>
        <span class="r-mono">{r.address}</span> <span class="r-muted">{r.family}</span>
      </>
    ),
  ],
  ['Reachable', (r) => <Tone c={r.reachable} />],
  ['Greeting', (r) => <Tone c={r.greeting} />, true],
  ['STARTTLS', (r) => <Tone c={r.starttls} />],
  ['TLS', (r) => <Tone c={r.tlsVersion} />],
  ['PTR / FCrDNS', (r) => <Tone c={r.ptr} />, true],
  ['Null sender', (r) => <Tone c={r.nullSender} />],
  ['Postmaster', (r) => <Tone c={r.postmaster} />],
  ['Relay', (r) => (r.openRelay ? <OpenRelayBadge /> : <Tone c={r.relay} />)],
];

function Summary({ vm }: { vm: ReportViewModel }) {
  return (
    <section id="r-summary" data-panel="summary">
      <h2>Endpoints</h2>
      {vm.noEndpoints ? (
        <p>{vm.noEndpoints}</p>
      ) : (
        <div class="r-scroll">
          <table class="r-table r-sum">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">MX (preference)</th>
                {COLUMNS.map(([h]) => (
                  <th scope="col">{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {vm.rows.map((r) => (
                <tr class={`r-row-${r.status.key}`}>
                  <td data-label="Status">
                    <Status s={r.status} />
                  </td>
                  <td data-label="MX (preference)">
                    <span>
                      <a href={`#${r.anchor}`}>{r.mx}</a> <span class="r-muted">({r.preference})</span>
                    </span>
                  </td>
                  {COLUMNS.map(([h, cell, wrap]) => (
                    <td data-label={h} class={wrap ? 'r-wrap' : undefined}>
                      <span>{cell(r)}</span>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Lines({ lines, mono = false }: { lines: string[]; mono?: boolean }) {
  if (lines.length === 0) return <p class="r-muted">{NONE}</p>;
  if (mono) return <pre class="r-pre">{lines.join('\n')}</pre>;
  return (
    <ul class="r-list">
      {lines.map((l) => (
        <li>{l}</li>
      ))}
    </ul>
  );
}

function Extensions({ title, list }: { title: string; list: string[] | null }) {
  return (
    <div>
      <h3>{title}</h3>
      {list === null ? (
        <p class="r-muted">{NOT_REACHED}</p>
      ) : list.length === 0 ? (
        <p class="r-muted">{NONE_ADVERTISED}</p>
      ) : (
        <ul class="r-ext r-mono">
          {list.map((k) => (
            <li>{k}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Tls({ ep }: { ep: EndpointSection }) {
  const c = ep.certificate;
  return (
    <>
      <h3>STARTTLS</h3>
      {ep.starttls === null ? <p class="r-muted">{NOT_REACHED}</p> : <Lines lines={ep.starttls} />}
      {c && (
        <>
          <h3>Certificate seen on this connection</h3>
          <dl class="r-kv">
            <dt>subject</dt>
            <dd class="r-mono">{c.subject}</dd>
            <dt>names</dt>
            <dd class="r-mono">{c.names.length > 0 ? c.names.join(', ') : '(no subjectAltName)'}</dd>
            <dt>issuer</dt>
            <dd class="r-mono">{c.issuer}</dd>
            <dt>validity</dt>
            <dd>
              {c.validity} · <Tone c={c.expiry} />
            </dd>
            <dt>trust</dt>
            <dd>
              <Tone c={c.trust} />
            </dd>
            {c.key && (
              <>
                <dt>key</dt>
                <dd>{c.key}</dd>
              </>
            )}
            <dt>chain</dt>
            <dd>
              <ul class="r-list">
                {c.chain.map((cert) => (
                  <li>
                    <Tone c={cert} />
                  </li>
                ))}
              </ul>
            </dd>
            {c.sni && (
              <>
                <dt>SNI sent</dt>
                <dd class="r-mono">{c.sni}</dd>
              </>
            )}
            <dt>SHA-256</dt>
            <dd class="r-mono">{c.fingerprint}</dd>
          </dl>
        </>
      )}
      {(ep.tlsSource || ep.related.length > 0) && <h3>TLS findings</h3>}
      {ep.tlsSource && <p>smtp.tls_quality judged this endpoint from {ep.tlsSource}.</p>}
      {ep.related.map((r) => (
        <div class={`r-related${r.usable ? '' : ' r-related-bad'}`}>
          <p>
            <strong class="r-mono">{r.ref}</strong> <span class="r-muted">· {r.source}</span>
          </p>
          {r.problem && <p class={r.usable ? 'r-muted' : 'r-t-warn'}>{r.problem}</p>}
          {r.facts.length > 0 && <KeyValues items={r.facts} />}
          {r.usable &&
            (r.findings.length === 0 ? (
              <p class="r-t-ok">No TLS finding reported.</p>
            ) : (
              <ul class="r-list">
                {r.findings.map((f) => (
                  <li>
                    <Status s={f.status} /> {f.message}
                  </li>
                ))}
              </ul>
            ))}
        </div>
      ))}
    </>
  );
}

function Transactions({ ep }: { ep: EndpointSection }) {
  if (ep.transactions.length === 0) return null;
  return (
    <>
      <h3>Transactions (stopped at RCPT, then RSET; no mail sent)</h3>
      <div class="r-scroll">
        <table class="r-table">
          <thead>
            <tr>
              <th scope="col">Probe</th>
              <th scope="col">Outcome</th>
              <th scope="col">Commands and replies</th>
            </tr>
          </thead>
          <tbody>
            {ep.transactions.map((t) => (
              <tr>
                <td>{t.label}</td>
                <td>{t.openRelay ? <OpenRelayBadge /> : <Tone c={t.outcome} />}</td>
                <td class="r-mono">
                  {t.replies.length === 0 && <span class="r-muted">{t.command}</span>}
                  {t.replies.map((r) => (
                    <div>
                      <strong>{r.command}</strong> → {r.lines.join(' ')}
                    </div>
                  ))}
                  {t.note && <div class="r-muted">{t.note}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {ep.pipelined && <p class="r-muted">{ep.pipelined}</p>}
    </>
  );
}

function Transcript({ ep }: { ep: EndpointSection }) {
  return (
    <>
      <h3>Transcript (C: checker, S: server, *: event; time since connect)</h3>
      {ep.transcript.length === 0 ? (
        <p class="r-muted">Nothing was exchanged.</p>
      ) : (
        <div class="r-transcript r-mono" role="log">
          {ep.transcript.map((l) => (
            <div class={`r-tl r-tl-${l.kind}`}>
              <span class="r-tt">{l.time}</span>
              <span class="r-td">{l.dir}</span>
              <span class="r-tx">{l.text}</span>
            </div>
          ))}
        </div>
      )}
      {ep.transcriptNote && <p class="r-muted">{ep.transcriptNote}</p>}
    </>
  );
}

function Endpoint({ ep }: { ep: EndpointSection }) {
  return (
    <details class="r-ep" id={ep.anchor} open={ep.open} data-subject={ep.subject}>
      <summary>
        <Status s={ep.status} />
        <span>{ep.title}</span>
        {ep.openRelay && <OpenRelayBadge />}
      </summary>
      <div class="r-ep-body">
        {ep.findings.length > 0 && (
          <>
            <h3>Findings for this endpoint</h3>
            <ul class="r-list">
              {ep.findings.map((f) => (
                <li>
                  <Status s={f} /> {f.message}
                </li>
              ))}
            </ul>
          </>
        )}
        <div class="r-cols">
          <div>
            <h3>Endpoint</h3>
            <KeyValues items={ep.facts} />
            {ep.retry && <p class="r-t-warn">{ep.retry}</p>}
            {ep.stop && <p class="r-t-bad">Dialogue stopped {ep.stop}</p>}
          </div>
          <div>
            <h3>Timings</h3>
            <KeyValues items={ep.timings} />
          </div>
        </div>
        <h3>Greeting</h3>
        {ep.greeting ? <Lines lines={ep.greeting.lines} mono /> : <p class="r-muted">none received</p>}
        <div class="r-cols">
          <Extensions title="Extensions before TLS" list={ep.extensionsBefore} />
          <Extensions title="Extensions after TLS" list={ep.extensionsAfter} />
        </div>
        <Tls ep={ep} />
        <Transactions ep={ep} />
        <h3>Reverse DNS</h3>
        <Lines lines={ep.ptr} />
        <Transcript ep={ep} />
      </div>
    </details>
  );
}

/** The egress check, when it ran: whether this machine reaches port 25 at all. */
function Egress({ vm }: { vm: ReportViewModel }) {
  if (!vm.egress) return null;
  return (
    <section id="r-egress" data-panel="egress">
      <h2>Port 25 from this machine</h2>
      <p class={`r-t-${vm.egress.verdict.tone}`}>{vm.egress.verdict.text}</p>
      <Lines lines={vm.egress.canaries} />
    </section>
  );
}

function Dns({ vm }: { vm: ReportViewModel }) {
  return (
    <section id="r-dns" data-panel="dns">
      <h2>DNS</h2>
      <p class="r-muted">{vm.dns.source}</p>
      <p>
        Resolver: <span class="r-mono">{vm.dns.resolver}</span>
      </p>
      {vm.dns.notes.map((n) => (
        <p class={`r-t-${n.tone}`}>{n.text}</p>
      ))}
      {vm.dns.targets.length > 0 && (
        <div class="r-scroll">
          <table class="r-table">
            <thead>
              <tr>
                <th scope="col">Preference</th>
                <th scope="col">MX target</th>
                <th scope="col">Addresses</th>
                <th scope="col">Notes</th>
              </tr>
            </thead>
            <tbody>
              {vm.dns.targets.map((t) => (
                <tr>
                  <td>{t.preference}</td>
                  <td class="r-mono">{t.name}</td>
                  <td class="r-mono">{t.addresses}</td>
                  <td>
                    {t.notes.map((n) => (
                      <div class="r-t-warn">{n}</div>
                    ))}
                    {t.errors.map((e) => (
                      <div class="r-t-bad">{e}</div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The report body from a view model (for tests and hosts that built one already). */
export function ReportBody({ vm }: { vm: ReportViewModel }) {
  return (
    <div class="r-report">
      <Verdict vm={vm} />
      <WhatToFix vm={vm} />
      <Summary vm={vm} />
      <Egress vm={vm} />
      <section id="r-endpoints" data-panel="endpoints">
        <h2>Endpoint details</h2>
        {vm.endpoints.length === 0 ? (
          <p class="r-muted">{vm.noEndpoints}</p>
        ) : (
          vm.endpoints.map((ep) => <Endpoint ep={ep} />)
        )}
      </section>
      <Dns vm={vm} />
    </div>
  );
}

/** The report as a component, for a page that embeds it (with REPORT_CSS in its own <style>). */
export function ReportView({ obs, states, related }: ReportViewProps) {
  return <ReportBody vm={buildReportView(obs, { states, related })} />;
}
