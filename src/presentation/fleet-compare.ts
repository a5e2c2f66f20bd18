/**
 * What changed since a previous run (`--compare PREVIOUS.jsonl`): findings
 * that appeared or went away, domains whose verdict got worse or better.
 *
 * The previous run is indexed once, streamed: per domain a 52-bit key of
 * its name and a short string holding its status and finding codes (codes
 * interned as small numbers), about 100 bytes a domain (measured: see the
 * README's memory bounds), never its states. The current run is then
 * streamed past the index; each domain found is removed from it, so what
 * is left at the end are the domains the current run did not check
 * (counted: their names are not kept). Pure.
 */
import type { ParsedBatchLine } from '../model/batch-line.js';
import { nameKey } from '../model/name-key.js';
import { FLEET_CODES_TRACKED } from '../model/fleet-limits.js';
import { Status } from '../model/status.js';
import {
  STATUS_ORDER,
  cappedList,
  pushCapped,
  statusSeverity,
  type CappedList,
  type FleetEntry,
  type StatusName,
} from './fleet-summary.js';

const OTHER_CODE = '(other codes)';

/** Finding codes of a line: its non-OK states' codes, each once. */
export function findingCodes(line: ParsedBatchLine): string[] {
  const codes = new Set<string>();
  for (const s of line.states) if (s.status !== Status.OK) codes.add(s.code ?? s.rule ?? 'unnamed');
  return [...codes];
}

/** The previous run, indexed by name key. */
export class PreviousRun {
  /** Name key → "<status index>|<code id>,<code id>…". */
  readonly entries = new Map<number, string>();
  readonly codeIds = new Map<string, number>();
  readonly codeNames: string[] = [];

  add(line: ParsedBatchLine): void {
    const ids = findingCodes(line).map((c) => this.codeId(c));
    this.entries.set(nameKey(line.domain), `${STATUS_ORDER.indexOf(line.status_name)}|${ids.join(',')}`);
  }

  get size(): number {
    return this.entries.size;
  }

  private codeId(code: string): number {
    let id = this.codeIds.get(code);
    if (id === undefined) {
      if (this.codeNames.length >= FLEET_CODES_TRACKED) return this.codeId(OTHER_CODE);
      id = this.codeNames.length;
      this.codeNames.push(code);
      this.codeIds.set(code, id);
    }
    return id;
  }

  /** Takes the domain's entry out of the index: its status and codes, or null when the previous run had none. */
  take(domain: string): { status: StatusName; codes: string[] } | null {
    const key = nameKey(domain);
    const packed = this.entries.get(key);
    if (packed === undefined) return null;
    this.entries.delete(key);
    const [status, codes] = packed.split('|') as [string, string];
    return {
      status: STATUS_ORDER[Number(status)]!,
      codes: codes === '' ? [] : codes.split(',').map((id) => this.codeNames[Number(id)]!),
    };
  }
}

export interface StatusMove extends FleetEntry {
  from: StatusName;
  to: StatusName;
}

export interface CodeChange {
  code: string;
  domains: number;
}

export interface FleetComparisonModel {
  /** How the previous run was named (its file name). */
  previous: string;
  previousDomains: number;
  /** Domains in both runs. */
  common: number;
  /** Domains only in this run. */
  added: number;
  /** Domains only in the previous run. */
  dropped: number;
  /** Codes found now on domains that did not have them before, most domains first. */
  newFindings: CodeChange[];
  /** Codes gone from domains that had them before. */
  fixedFindings: CodeChange[];
  worse: CappedList<StatusMove>;
  better: CappedList<StatusMove>;
}

export class FleetComparison {
  private readonly previousDomains: number;
  private common = 0;
  private added = 0;
  private readonly newCodes = new Map<string, number>();
  private readonly fixedCodes = new Map<string, number>();
  private readonly worse = cappedList<StatusMove>();
  private readonly better = cappedList<StatusMove>();

  constructor(
    private readonly previous: PreviousRun,
    private readonly label: string,
  ) {
    this.previousDomains = previous.size;
  }

  /** Compare one line of this run (at `line` of the output) with the previous run. */
  add(result: ParsedBatchLine, line: number): void {
    const before = this.previous.take(result.domain);
    if (before === null) {
      this.added++;
      return;
    }
    this.common++;
    const now = findingCodes(result);
    const had = new Set(before.codes);
    for (const c of now) if (!had.has(c)) bump(this.newCodes, c);
    const has = new Set(now);
    for (const c of before.codes) if (!has.has(c)) bump(this.fixedCodes, c);
    const delta = statusSeverity(result.status_name) - statusSeverity(before.status);
    const move = { domain: result.domain, line, from: before.status, to: result.status_name };
    if (delta > 0) pushCapped(this.worse, move);
    else if (delta < 0) pushCapped(this.better, move);
  }

  model(): FleetComparisonModel {
    return {
      previous: this.label,
      previousDomains: this.previousDomains,
      common: this.common,
      added: this.added,
      dropped: this.previous.size,
      newFindings: sorted(this.newCodes),
      fixedFindings: sorted(this.fixedCodes),
      worse: { total: this.worse.total, items: [...this.worse.items] },
      better: { total: this.better.total, items: [...this.better.items] },
    };
  }
}

function bump(map: Map<string, number>, code: string): void {
  map.set(code, (map.get(code) ?? 0) + 1);
}

function sorted(map: Map<string, number>): CodeChange[] {
  return [...map]
    .map(([code, domains]) => ({ code, domains }))
    .sort((a, b) => b.domains - a.domains || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
