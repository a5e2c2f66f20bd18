/**
 * The fleet summary: what a batch's output says about all its domains at
 * once. Built by streaming the output's lines through `FleetAggregator`
 * (counters and capped lists, never the lines themselves), so a million
 * domains cost the same memory as a thousand, apart from the MX providers
 * (one counter per distinct registrable domain, bounded: see
 * FLEET_PROVIDERS_TRACKED). Pure: the lines may come from a file, from the
 * run that writes them, or from a queue.
 *
 *   const agg = new FleetAggregator();
 *   for (const [n, text] of lines) { const line = parseBatchLine(text); if (line) agg.add(line, n); }
 *   const model = agg.model();
 */
import { getDomain } from 'tldts';
import type { ParsedBatchLine } from '../model/batch-line.js';
import { Status, severity, type StatusValue } from '../model/status.js';
import {
  FLEET_CODES_TRACKED,
  FLEET_LISTED_MAX,
  FLEET_PROVIDERS_TRACKED,
  FLEET_TOP_PROVIDERS,
} from '../model/fleet-limits.js';

export type StatusName = ParsedBatchLine['status_name'];
export const STATUS_ORDER: readonly StatusName[] = ['CRIT', 'ERROR', 'WARN', 'UNKNOWN', 'INFO', 'OK'];
const STATUS_VALUE: Record<StatusName, StatusValue> = {
  OK: Status.OK,
  INFO: Status.INFO,
  WARN: Status.WARN,
  CRIT: Status.CRIT,
  UNKNOWN: Status.UNKNOWN,
  ERROR: Status.ERROR,
};

/** How bad a status name is (status.ts severity: OK < INFO < UNKNOWN < WARN < CRIT < ERROR). */
export function statusSeverity(name: StatusName): number {
  return severity(STATUS_VALUE[name]);
}

/** A domain and the line of the output that holds its result (1-based). */
export interface FleetEntry {
  domain: string;
  line: number;
}

/** A list that stops at FLEET_LISTED_MAX names while its total keeps counting. */
export interface CappedList<T> {
  total: number;
  items: T[];
}

export function cappedList<T>(): CappedList<T> {
  return { total: 0, items: [] };
}

export function pushCapped<T>(list: CappedList<T>, item: T): void {
  list.total++;
  if (list.items.length < FLEET_LISTED_MAX) list.items.push(item);
}

export interface FindingCount {
  code: string;
  /** The worst status the code was reported with. */
  status: StatusName;
  /** Domains with at least one state of this code. */
  domains: number;
}

export interface ProviderCount {
  /** The registrable domain of the MX names (`google.com` for `aspmx.l.google.com`). */
  name: string;
  domains: number;
}

export interface FleetShares {
  /** Domains with at least one endpoint that accepted TCP: the base of the shares below. */
  reached: number;
  /** Every reachable endpoint completed STARTTLS. */
  starttls: number;
  /** Every reachable endpoint negotiated TLS 1.2 or later. */
  tls12: number;
  /** Every endpoint's address has forward-confirmed reverse DNS. */
  fcrdns: number;
  /** At least one endpoint reachable over IPv6. */
  ipv6: number;
}

export interface FleetSummaryModel {
  /** Result lines read (one per domain). */
  domains: number;
  byStatus: Record<StatusName, number>;
  shares: FleetShares;
  nullMx: number;
  /** Every finding code (non-OK state), most domains first. */
  findings: FindingCount[];
  /** Codes past FLEET_CODES_TRACKED, counted together (only a foreign file has them). */
  otherCodes: number;
  openRelays: CappedList<FleetEntry>;
  /** Domains with endpoints none of which accepted TCP. */
  unreachable: CappedList<FleetEntry>;
  /** Lines with an error: input that named no domain, or a check that failed. */
  errors: CappedList<FleetEntry & { error: string }>;
  providers: ProviderCount[];
  /** Distinct providers counted. */
  providerCount: number;
  /** How many domains a provider's count may miss, once more providers were seen than are tracked (0: exact). */
  providerUndercount: number;
}

const OPEN_RELAY_CODE = 'smtp.open_relay';

/** The MX providers of a domain: registrable domains of its MX names, each once. */
export function providersOf(mx: readonly string[]): string[] {
  return [...new Set(mx.map((name) => getDomain(name) ?? name.toLowerCase()))];
}

export class FleetAggregator {
  private domains = 0;
  private readonly byStatus: Record<StatusName, number> = { OK: 0, INFO: 0, WARN: 0, CRIT: 0, UNKNOWN: 0, ERROR: 0 };
  private readonly shares: FleetShares = { reached: 0, starttls: 0, tls12: 0, fcrdns: 0, ipv6: 0 };
  private nullMx = 0;
  private readonly codes = new Map<string, { status: StatusName; domains: number }>();
  private otherCodes = 0;
  private readonly openRelays = cappedList<FleetEntry>();
  private readonly unreachable = cappedList<FleetEntry>();
  private readonly errors = cappedList<FleetEntry & { error: string }>();
  private readonly providers = new Map<string, number>();
  private providerUndercount = 0;

  /** Count one result line; `line` is its line number in the output. */
  add(result: ParsedBatchLine, line: number): void {
    this.domains++;
    this.byStatus[result.status_name]++;
    if (result.error !== null) pushCapped(this.errors, { domain: result.domain, line, error: result.error });
    const seen = new Map<string, StatusName>();
    for (const s of result.states) {
      if (s.status === Status.OK) continue;
      const code = s.code ?? s.rule ?? 'unnamed';
      const name = statusName(s.status);
      const before = seen.get(code);
      if (before === undefined || statusSeverity(name) > statusSeverity(before)) seen.set(code, name);
    }
    for (const [code, status] of seen) this.countCode(code, status);
    if (seen.get(OPEN_RELAY_CODE) === 'CRIT') pushCapped(this.openRelays, { domain: result.domain, line });
    const f = result.facts;
    if (f === null) return;
    if (f.null_mx) this.nullMx++;
    if (f.endpoints > 0 && f.reachable === 0) pushCapped(this.unreachable, { domain: result.domain, line });
    if (f.reachable > 0) {
      this.shares.reached++;
      if (f.starttls === f.reachable) this.shares.starttls++;
      if (f.tls12 === f.reachable) this.shares.tls12++;
      if (f.fcrdns === f.endpoints) this.shares.fcrdns++;
      if (f.ipv6_reachable > 0) this.shares.ipv6++;
    }
    for (const p of providersOf(f.mx)) this.countProvider(p);
  }

  private countCode(code: string, status: StatusName): void {
    const entry = this.codes.get(code);
    if (entry) {
      entry.domains++;
      if (statusSeverity(status) > statusSeverity(entry.status)) entry.status = status;
    } else if (this.codes.size < FLEET_CODES_TRACKED) {
      this.codes.set(code, { status, domains: 1 });
    } else {
      this.otherCodes++;
    }
  }

  private countProvider(name: string): void {
    this.providers.set(name, (this.providers.get(name) ?? 0) + 1);
    if (this.providers.size < FLEET_PROVIDERS_TRACKED) return;
    // Lossy counting: drop the least-seen half; a provider dropped and seen again may fall short by what it had.
    const counts = [...this.providers.values()].sort((a, b) => a - b);
    const threshold = counts[Math.floor(counts.length / 2)]!;
    for (const [p, n] of this.providers) if (n <= threshold) this.providers.delete(p);
    this.providerUndercount += threshold;
  }

  model(): FleetSummaryModel {
    const findings = [...this.codes]
      .map(([code, { status, domains }]) => ({ code, status, domains }))
      .sort(
        (a, b) => b.domains - a.domains || statusSeverity(b.status) - statusSeverity(a.status) || cmp(a.code, b.code),
      );
    const providers = [...this.providers]
      .map(([name, domains]) => ({ name, domains }))
      .sort((a, b) => b.domains - a.domains || cmp(a.name, b.name))
      .slice(0, FLEET_TOP_PROVIDERS);
    return {
      domains: this.domains,
      byStatus: { ...this.byStatus },
      shares: { ...this.shares },
      nullMx: this.nullMx,
      findings,
      otherCodes: this.otherCodes,
      openRelays: copyList(this.openRelays),
      unreachable: copyList(this.unreachable),
      errors: copyList(this.errors),
      providers,
      providerCount: this.providers.size,
      providerUndercount: this.providerUndercount,
    };
  }
}

function copyList<T>(list: CappedList<T>): CappedList<T> {
  return { total: list.total, items: [...list.items] };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function statusName(status: number): StatusName {
  switch (status) {
    case Status.OK:
      return 'OK';
    case Status.INFO:
      return 'INFO';
    case Status.WARN:
      return 'WARN';
    case Status.CRIT:
      return 'CRIT';
    case Status.ERROR:
      return 'ERROR';
    default:
      return 'UNKNOWN';
  }
}

/** "41.7 %" of `n` out of `of`; "–" when `of` is 0. */
export function percent(n: number, of: number): string {
  return of === 0 ? '–' : `${((100 * n) / of).toFixed(1)} %`;
}
