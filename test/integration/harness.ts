/**
 * Shared plumbing for the end-to-end tests: run the real pipeline (DNS over
 * UDP/TCP to an in-process server, SMTP to loopback peers) and summarise the
 * states so a test can assert exact codes.
 */
import assert from 'node:assert/strict';
import { collect, type CollectSettings } from '../../src/collect/collect.js';
import { validateObservation } from '../../src/model/observation-schema.js';
import { evaluate } from '../../src/rules/index.js';
import { parseResolver } from '../../src/config/settings.js';
import type { Observation } from '../../src/model/observation.js';
import { STATUS_NAMES, type CheckState } from '../../src/model/status.js';
import { testCa } from '../peers/certs.js';
import type { DnsServer } from '../peers/dns-server.js';

export interface CheckResult {
  observation: Observation;
  states: CheckState[];
}

export async function runCheck(
  dns: DnsServer,
  port: number,
  options: Record<string, unknown>,
  settings: Partial<CollectSettings> = {},
): Promise<CheckResult> {
  const observation = await collect(
    { timeout: 3, ...options },
    // No test dials outside loopback: the egress check is off unless a test points it at a loopback peer.
    { resolver: parseResolver(dns.address), port, trustStore: [testCa().cert], egressCanary: [], ...settings },
  );
  // Every observation the real pipeline produces must match the published schema.
  const valid = validateObservation(JSON.parse(JSON.stringify(observation)));
  assert.deepEqual(valid.errors, [], 'observation matches schema/observation.schema.json');
  return { observation, states: evaluate(observation) };
}

/** "STATUS code subject" for every state that is not OK, in evaluation order. */
export function findings(states: CheckState[], { withInfo = true } = {}): string[] {
  return states
    .filter((s) => s.status !== 1 && (withInfo || s.status !== 2))
    .map((s) => `${STATUS_NAMES[s.status]} ${s.code} ${s.subject ?? ''}`.trim());
}

/** Findings that are not INFO and not the "could not test" UNKNOWNs that follow from an upstream failure. */
export function problems(states: CheckState[]): string[] {
  return findings(states, { withInfo: false }).filter((f) => !/\.(untested|handshake_untested) /.test(f));
}
