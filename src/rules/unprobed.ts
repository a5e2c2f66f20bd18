/**
 * Endpoints the checker could not test for reasons of its own: the target
 * policy refused them, they were over the endpoint cap or waited too long
 * for a connection slot, the user asked for the other address family only
 * (-4, -6), the check was cut short, the checker has no IPv6 route, or this
 * machine cannot reach port 25 at all (the egress check).
 * None of that is the server's doing, so no rule may blame the server for
 * it: the endpoint is "not tested", with the reason, wherever it shows.
 */
import type { EndpointProbe, Observation } from '../model/observation.js';
import { cutShort, egressSymptom, skippedByChoice } from '../model/endpoint-state.js';

/**
 * IPv6 endpoints the checker itself cannot reach: every IPv6 endpoint failed
 * with "no route", which says more about the checker's network than the domain.
 */
export function ipv6Untestable(obs: Observation): Set<EndpointProbe> {
  const v6 = obs.endpoints.filter((e) => e.family === 6);
  const noRoute = (e: EndpointProbe) => !e.connected && e.error?.code === 'connect.unreachable';
  return new Set(v6.length > 0 && v6.every(noRoute) ? v6 : []);
}

/** The egress check found that this machine reaches port 25 nowhere, and `e` failed as that would make it. */
export function egressBlocked(e: EndpointProbe, obs: Observation): boolean {
  return obs.egress?.outcome === 'blocked' && egressSymptom(e);
}

/** Why `e` was never dialled by the checker's own choice (policy, cap, a full gate), in short; null otherwise. */
export function notDialledReason(e: EndpointProbe): string | null {
  if (e.connected) return null;
  switch (e.error?.code) {
    case 'policy.refused':
      return 'not probed: refused by the target policy';
    case 'skipped':
      return 'not tested (by choice: the other address family only)';
    case 'policy.capped':
    case 'queue.timeout':
      return e.error.message;
    default:
      return null;
  }
}

/** "not tested (-4)": an endpoint of the family the user left out, by choice. */
export function skippedReason(obs: Observation): string {
  return obs.options.address_family === null ? 'not tested (by choice)' : `not tested (-${obs.options.address_family})`;
}

/** Why the checker could not test `e` through no fault of the server; null when it could. */
export function notProbedReason(e: EndpointProbe, obs: Observation): string | null {
  if (skippedByChoice(e)) return skippedReason(obs);
  const notDialled = notDialledReason(e);
  if (notDialled !== null) return notDialled;
  if (cutShort(e)) return e.connected ? `probe cut short: ${e.error!.message}` : e.error!.message;
  if (ipv6Untestable(obs).has(e)) return 'not tested: the checker has no IPv6 route';
  if (egressBlocked(e, obs)) return 'not tested: this machine cannot reach port 25';
  return null;
}

/** The first canary the egress check tried, as "gmail-smtp-in.l.google.com (timeout: …)", for messages. */
export function egressEvidence(obs: Observation): string {
  const c = obs.egress?.canaries.find((x) => x.outcome !== 'unresolved') ?? obs.egress?.canaries[0];
  if (!c) return 'no canary was tried';
  const where = `${c.host}${c.address && c.address !== c.host ? ` (${c.address})` : ''} port ${c.port}`;
  return `${where}: ${c.outcome}${c.error ? `, ${c.error}` : ''}`;
}
