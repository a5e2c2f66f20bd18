/**
 * The fleet summary's layout (preact: every text node and attribute is
 * escaped by the renderer, and the names come from files): the counts per
 * verdict, the shares of domains with STARTTLS, TLS ≥ 1.2, FCrDNS and IPv6,
 * what needs a person (open relays, unreachable domains, errors) each with
 * the line of the output that holds its result, the findings by code, the
 * MX providers, and what changed since the previous run.
 */
import type { ComponentChildren } from 'preact';
import { sanitize } from '../../model/text.js';
import type { FleetComparisonModel, StatusMove } from '../fleet-compare.js';
import {
  STATUS_ORDER,
  percent,
  type CappedList,
  type FleetEntry,
  type FleetSummaryModel,
  type StatusName,
} from '../fleet-summary.js';

export interface FleetViewProps {
  summary: FleetSummaryModel;
  comparison: FleetComparisonModel | null;
  /** Where the output's lines are, relative to this page (`results.jsonl`); null when it went to stdout. */
  resultsHref: string | null;
  /** When the summary was made (RFC 3339). */
  generatedAt: string;
}

const n = (x: number) => x.toLocaleString('en-US');

function Status({ name }: { name: StatusName }) {
  return <span class={`r-st r-st-${name.toLowerCase()}`}>{name}</span>;
}

/** The output line holding a domain's result: a link into the output file when there is one. */
function LineRef({ line, href }: { line: number; href: string | null }) {
  if (href === null) return <span class="r-muted">line {line}</span>;
  const target = `${href}#L${line}`;
  return (
    <a class="r-mono f-line" href={target}>
      {target}
    </a>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section id={id} data-panel={id.replace(/^f-/, '')}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

function More({ list, what }: { list: CappedList<unknown>; what: string }) {
  const more = list.total - list.items.length;
  return more > 0 ? (
    <p class="r-muted">
      and {n(more)} more {what} (every one is in the output).
    </p>
  ) : null;
}

function DomainList({
  list,
  href,
  empty,
  badge,
  what,
}: {
  list: CappedList<FleetEntry & { error?: string }>;
  href: string | null;
  empty: string;
  badge?: ComponentChildren;
  what: string;
}) {
  if (list.total === 0) return <p class="r-nothing">{empty}</p>;
  return (
    <>
      <ul class="f-domains">
        {list.items.map((e) => (
          <li>
            {badge} <strong>{sanitize(e.domain)}</strong> <LineRef line={e.line} href={href} />
            {e.error !== undefined && <span class="f-error">{sanitize(e.error)}</span>}
          </li>
        ))}
      </ul>
      <More list={list} what={what} />
    </>
  );
}

function Counts({ s }: { s: FleetSummaryModel }) {
  return (
    <ul class="f-counts">
      {STATUS_ORDER.filter((k) => s.byStatus[k] > 0).map((k) => (
        <li>
          <Status name={k} /> <strong>{n(s.byStatus[k])}</strong>{' '}
          <span class="r-muted">({percent(s.byStatus[k], s.domains)})</span>
        </li>
      ))}
    </ul>
  );
}

function Shares({ s }: { s: FleetSummaryModel }) {
  const r = s.shares.reached;
  const rows: [string, number, string][] = [
    ['STARTTLS', s.shares.starttls, 'every reachable endpoint completed the STARTTLS handshake'],
    ['TLS ≥ 1.2', s.shares.tls12, 'every reachable endpoint negotiated TLS 1.2 or 1.3'],
    ['FCrDNS', s.shares.fcrdns, 'every endpoint address has forward-confirmed reverse DNS'],
    ['IPv6', s.shares.ipv6, 'at least one endpoint reachable over IPv6'],
  ];
  return (
    <Section id="f-shares" title="Mail security across the fleet">
      {r === 0 ? (
        <p class="r-muted">No domain had a reachable MX endpoint.</p>
      ) : (
        <>
          <p>
            Of the {n(r)} domains with at least one reachable MX endpoint
            {s.nullMx > 0 ? ` (besides ${n(s.nullMx)} with a null MX, which receive no mail)` : ''}:
          </p>
          <div class="r-scroll">
            <table class="r-table">
              <thead>
                <tr>
                  <th scope="col">Measure</th>
                  <th scope="col">Domains</th>
                  <th scope="col">Share</th>
                  <th scope="col" class="f-when">
                    Counted when
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map(([label, count, when]) => (
                  <tr>
                    <td>{label}</td>
                    <td class="f-num">{n(count)}</td>
                    <td class="f-num">
                      <span class="f-bar" style={`--f-share:${r === 0 ? 0 : ((100 * count) / r).toFixed(1)}%`}>
                        {percent(count, r)}
                      </span>
                    </td>
                    <td class="r-muted f-when">{when}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Section>
  );
}

function Findings({ s }: { s: FleetSummaryModel }) {
  return (
    <Section id="f-findings" title="Findings by code">
      {s.findings.length === 0 ? (
        <p class="r-nothing">No finding on any domain.</p>
      ) : (
        <div class="r-scroll">
          <table class="r-table">
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Worst</th>
                <th scope="col">Domains</th>
                <th scope="col">Share</th>
              </tr>
            </thead>
            <tbody>
              {s.findings.map((f) => (
                <tr>
                  <td class="f-code">
                    <code>{sanitize(f.code)}</code>
                  </td>
                  <td>
                    <Status name={f.status} />
                  </td>
                  <td class="f-num">{n(f.domains)}</td>
                  <td class="f-num">{percent(f.domains, s.domains)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {s.otherCodes > 0 && <p class="r-muted">{n(s.otherCodes)} more findings under codes past the first 1,000.</p>}
    </Section>
  );
}

function Providers({ s }: { s: FleetSummaryModel }) {
  return (
    <Section id="f-providers" title="MX providers serving the most domains">
      {s.providers.length === 0 ? (
        <p class="r-muted">No MX host names.</p>
      ) : (
        <>
          <p class="r-muted">
            MX host names grouped by registrable domain (public suffix list); a domain counts once per provider.{' '}
            {n(s.providerCount)} providers in all.
            {s.providerUndercount > 0 &&
              ` More providers were seen than are tracked: a count may miss up to ${n(s.providerUndercount)} domains.`}
          </p>
          <div class="r-scroll">
            <table class="r-table">
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Domains</th>
                  <th scope="col">Share</th>
                </tr>
              </thead>
              <tbody>
                {s.providers.map((p) => (
                  <tr>
                    <td class="r-mono">{sanitize(p.name)}</td>
                    <td class="f-num">{n(p.domains)}</td>
                    <td class="f-num">{percent(p.domains, s.domains)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Section>
  );
}

function Moves({ list, href, what }: { list: CappedList<StatusMove>; href: string | null; what: string }) {
  if (list.total === 0) return <p class="r-muted">None.</p>;
  return (
    <>
      <ul class="f-domains">
        {list.items.map((m) => (
          <li>
            <strong>{sanitize(m.domain)}</strong> <Status name={m.from} /> → <Status name={m.to} />{' '}
            <LineRef line={m.line} href={href} />
          </li>
        ))}
      </ul>
      <More list={list} what={what} />
    </>
  );
}

function CodeTable({ rows, empty }: { rows: { code: string; domains: number }[]; empty: string }) {
  if (rows.length === 0) return <p class="r-muted">{empty}</p>;
  return (
    <div class="r-scroll">
      <table class="r-table">
        <thead>
          <tr>
            <th scope="col">Code</th>
            <th scope="col">Domains</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              <td>
                <code>{sanitize(r.code)}</code>
              </td>
              <td class="f-num">{n(r.domains)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Comparison({ c, href }: { c: FleetComparisonModel; href: string | null }) {
  return (
    <Section id="f-compare" title={`Since the previous run (${sanitize(c.previous)})`}>
      <p>
        {n(c.previousDomains)} domains before; {n(c.common)} checked in both runs, {n(c.added)} new, {n(c.dropped)} not
        checked this time.
      </p>
      <div class="r-cols">
        <div>
          <h3>New findings</h3>
          <CodeTable rows={c.newFindings} empty="No new finding." />
        </div>
        <div>
          <h3>Fixed findings</h3>
          <CodeTable rows={c.fixedFindings} empty="Nothing fixed." />
        </div>
      </div>
      <h3>Worse ({n(c.worse.total)})</h3>
      <Moves list={c.worse} href={href} what="domains got worse" />
      <h3>Better ({n(c.better.total)})</h3>
      <Moves list={c.better} href={href} what="domains got better" />
    </Section>
  );
}

export function FleetBody({ summary: s, comparison, resultsHref, generatedAt }: FleetViewProps) {
  return (
    <div class="r-report">
      <header class="r-verdict f-head" id="f-head" data-panel="head">
        <h1>Fleet report: {n(s.domains)} domains</h1>
        <Counts s={s} />
        <p class="r-muted">
          Made {sanitize(generatedAt)}
          {resultsHref !== null ? ` from ${sanitize(resultsHref)}` : ''}. Each domain&apos;s full result is one line of
          the output.
        </p>
      </header>
      <Shares s={s} />
      <Section id="f-attention" title="Needs attention">
        <h3>Open relays ({n(s.openRelays.total)})</h3>
        <DomainList
          list={s.openRelays}
          href={resultsHref}
          empty="No open relay."
          badge={<span class="r-badge-relay">OPEN RELAY</span>}
          what="open relays"
        />
        <h3>Unreachable ({n(s.unreachable.total)})</h3>
        <DomainList
          list={s.unreachable}
          href={resultsHref}
          empty="Every domain with MX endpoints had one that accepted a connection."
          what="unreachable domains"
        />
        <h3>Errors ({n(s.errors.total)})</h3>
        <DomainList list={s.errors} href={resultsHref} empty="No error." what="errors" />
      </Section>
      <Findings s={s} />
      <Providers s={s} />
      {comparison && <Comparison c={comparison} href={resultsHref} />}
    </div>
  );
}
