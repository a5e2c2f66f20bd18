/**
 * The endpoint plan: which addresses to probe for a domain's DNS facts. One
 * endpoint per distinct address (a server is probed once however many MX
 * names lead to it), best preference first, so the report and the rules see
 * the order a sender would try.
 */
import type { DnsFacts } from '../model/observation.js';
import type { EndpointTarget } from './smtp/probe-endpoint.js';

/** One endpoint per distinct address, remembering every MX name that leads to it. */
export function planEndpoints(dns: DnsFacts, port: number): EndpointTarget[] {
  const byAddress = new Map<string, EndpointTarget>();
  for (const target of dns.mx) {
    if (target.ip_literal) continue; // senders do not deliver to a literal MX: nothing to probe
    const addresses: [string, 4 | 6][] = [
      ...target.ipv4.map((a): [string, 4] => [a, 4]),
      ...target.ipv6.map((a): [string, 6] => [a, 6]),
    ];
    for (const [address, family] of addresses) {
      const existing = byAddress.get(address);
      if (existing) {
        if (!existing.mx.includes(target.name)) existing.mx.push(target.name);
        existing.preference = Math.min(existing.preference, target.preference);
      } else {
        byAddress.set(address, { address, family, port, mx: [target.name], preference: target.preference });
      }
    }
  }
  return [...byAddress.values()].sort(
    (a, b) =>
      a.preference - b.preference || a.family - b.family || a.address.localeCompare(b.address, 'en', { numeric: true }),
  );
}
