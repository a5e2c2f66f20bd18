/**
 * The endpoint plan: which addresses to probe for a domain's DNS facts. One
 * endpoint per distinct address (a server is probed once however many MX
 * names lead to it), best preference first, so the report and the rules see
 * the order a sender would try.
 */
import type { DnsFacts } from '../model/observation.js';
import { MAX_MX_TARGETS } from '../model/limits.js';
import type { EndpointTarget } from './smtp/probe-endpoint.js';

/**
 * One endpoint per distinct address and port, remembering every MX name that
 * leads to it. `ports` gives a port per MX name where the user named one
 * (`--mx mx1.example.com:2525`); every other name is probed on `port`.
 */
export function planEndpoints(
  dns: DnsFacts,
  port: number,
  ports: ReadonlyMap<string, number> = new Map(),
): EndpointTarget[] {
  const byAddress = new Map<string, EndpointTarget>();
  for (const target of dns.mx) {
    // Senders do not deliver to a literal MX: nothing to probe, unless the user named the address to test it.
    if (target.ip_literal && dns.source !== 'given') continue;
    const targetPort = ports.get(target.name) ?? port;
    const addresses: [string, 4 | 6][] = [
      ...target.ipv4.map((a): [string, 4] => [a, 4]),
      ...target.ipv6.map((a): [string, 6] => [a, 6]),
    ];
    for (const [address, family] of addresses) {
      const key = `${address}|${targetPort}`;
      const existing = byAddress.get(key);
      if (existing) {
        if (!existing.mx.includes(target.name)) existing.mx.push(target.name);
        existing.preference = Math.min(existing.preference, target.preference);
      } else {
        byAddress.set(key, { address, family, port: targetPort, mx: [target.name], preference: target.preference });
      }
    }
  }
  return [...byAddress.values()].sort(
    (a, b) =>
      a.preference - b.preference ||
      a.family - b.family ||
      a.address.localeCompare(b.address, 'en', { numeric: true }) ||
      a.port - b.port,
  );
}

/** The plan split by the endpoint cap: what is dialled, and what is recorded as not probed. */
export interface CappedPlan {
  probe: EndpointTarget[];
  overCap: EndpointTarget[];
}

/**
 * At most `max` endpoints of `plan`, chosen in rounds so that the cap spreads
 * over every MX target and both families: the first IPv4 and the first IPv6
 * address of each target in preference order, then the second of each, and
 * so on. A zone with 10 MX × 64 A then has each MX host probed (on three or
 * four of its addresses), not one host on all 32. Both lists keep the plan's
 * order.
 */
export function capEndpoints(dns: DnsFacts, plan: readonly EndpointTarget[], max: number): CappedPlan {
  if (plan.length <= max) return { probe: [...plan], overCap: [] };
  const planned = new Set(plan.map((t) => t.address));
  const chosen = new Set<string>();
  const rounds = Math.max(0, ...dns.mx.map((t) => Math.max(t.ipv4.length, t.ipv6.length)));
  for (let round = 0; round < rounds && chosen.size < max; round++) {
    for (const target of dns.mx) {
      // Only addresses of the plan count: a family not asked for (-4, -6) takes no place under the cap.
      for (const address of [target.ipv4[round], target.ipv6[round]]) {
        if (address !== undefined && planned.has(address) && chosen.size < max) chosen.add(address);
      }
    }
  }
  return {
    probe: plan.filter((t) => chosen.has(t.address)),
    overCap: plan.filter((t) => !chosen.has(t.address)),
  };
}

/** Why an endpoint over the cap was not probed, in the words rules and reports show. */
export function overCapMessage(max: number): string {
  return `not probed: over the cap of ${max} endpoints per check (${MAX_MX_TARGETS} MX targets at most, the endpoints spread over them)`;
}
