/**
 * Readings of an endpoint record that collection and the rules must agree
 * on, written once: which failures a blocked port 25 on the checker's side
 * would also cause, and which endpoints were never dialled at all.
 */
import type { EndpointProbe, ProbeErrorCode } from './observation.js';

/** Connect failures that a blocked port 25 on our side causes too: the SYN unanswered, or no route out. */
const EGRESS_SYMPTOMS: ReadonlySet<ProbeErrorCode> = new Set(['connect.timeout', 'connect.unreachable']);
/**
 * Endpoints never dialled: refused by the target policy, over the endpoint
 * cap, left waiting too long for a connection slot, skipped by choice (-4,
 * -6), or the collection was cut first.
 */
const NEVER_DIALLED: ReadonlySet<ProbeErrorCode> = new Set([
  'policy.refused',
  'policy.capped',
  'queue.timeout',
  'skipped',
  'cancelled',
  'deadline',
]);
/** The collection was cut short (cancelled or out of time) before or during this probe. */
const CUT: ReadonlySet<ProbeErrorCode> = new Set(['cancelled', 'deadline']);

/** `e` failed the way a blocked port 25 on the checker's side would make it fail. */
export function egressSymptom(e: EndpointProbe): boolean {
  return !e.connected && e.error !== null && EGRESS_SYMPTOMS.has(e.error.code);
}

/** `e` was never dialled: refused, capped, left waiting too long, skipped (-4, -6), or the collection was cut before its turn. */
export function neverDialled(e: EndpointProbe): boolean {
  return !e.connected && e.error !== null && NEVER_DIALLED.has(e.error.code);
}

/** The collection was cut (cancelled, deadline) before or during the probe of `e`. */
export function cutShort(e: EndpointProbe): boolean {
  return e.error !== null && CUT.has(e.error.code);
}

/** `e` was over the endpoint cap: recorded without being dialled, and without a PTR question either. */
export function overCap(e: EndpointProbe): boolean {
  return e.error?.code === 'policy.capped';
}

/** `e` was not probed by the user's choice: only the other address family was asked for (-4, -6). */
export function skippedByChoice(e: EndpointProbe): boolean {
  return !e.connected && e.error?.code === 'skipped';
}
