/**
 * A batch output line from what a check produced: the verdict as the CLI's
 * exit code and by name, the rule states, the endpoint facts the fleet
 * summary counts, and the observation when asked for. Pure.
 */
import type { BatchFacts, BatchLine } from '../model/batch-line.js';
import type { Observation } from '../model/observation.js';
import { STATUS_NAMES, exitCodeFor, type CheckState } from '../model/status.js';
import { verdictStatus } from './view-model.js';

/** TLS versions that count as "TLS 1.2 or later" (node's spelling of the negotiated protocol). */
const MODERN_TLS = new Set(['TLSv1.2', 'TLSv1.3']);

export function batchFacts(obs: Observation): BatchFacts {
  const eps = obs.endpoints;
  const count = (pred: (e: Observation['endpoints'][number]) => boolean) => eps.filter(pred).length;
  return {
    mx: obs.dns.mx.filter((m) => !m.implicit).map((m) => m.name),
    null_mx: obs.dns.null_mx,
    endpoints: eps.length,
    reachable: count((e) => e.connected),
    starttls: count((e) => e.starttls.ok),
    tls12: count((e) => e.starttls.ok && MODERN_TLS.has(e.starttls.tls?.version ?? '')),
    fcrdns: count((e) => e.reverse_dns.fcrdns),
    ipv6: count((e) => e.family === 6),
    ipv6_reachable: count((e) => e.family === 6 && e.connected),
  };
}

export interface LineOptions {
  /** Line of the input where the domain first appeared. */
  inputLine: number;
  /** Keep the whole observation in the line (`--full`). */
  full: boolean;
}

/** The line for a domain that was checked. */
export function resultLine(obs: Observation, states: readonly CheckState[], opts: LineOptions): BatchLine {
  const verdict = verdictStatus(obs, states);
  return {
    domain: obs.domain,
    input_line: opts.inputLine,
    checked_at: obs.collected_at,
    status: exitCodeFor(verdict),
    status_name: STATUS_NAMES[verdict] as BatchLine['status_name'],
    states: [...states],
    facts: batchFacts(obs),
    ...(opts.full ? { observation: obs } : {}),
  };
}

/** The line for an input that named no domain, or a check that failed: status 3, ERROR, the reason. */
export function errorLine(domain: string, inputLine: number, error: string, at = new Date()): BatchLine {
  return {
    domain,
    input_line: inputLine,
    checked_at: at.toISOString(),
    status: 3,
    status_name: 'ERROR',
    states: [],
    facts: null,
    error,
  };
}

/** A line without its observation: what the output keeps without --full when the observation went to a store. */
export function withoutObservation(line: BatchLine): BatchLine {
  if (line.observation === undefined) return line;
  const { observation: _dropped, ...rest } = line;
  return rest;
}
