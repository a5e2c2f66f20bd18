/**
 * The endpoint plan: which addresses to probe for a domain's DNS facts. One
 * endpoint per distinct address (a server is probed once however many MX
 * names lead to it), best preference first, so the report and the rules see
 * the order a sender would try.
 */
import type { DnsFacts } from '../model/observation.js';
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
