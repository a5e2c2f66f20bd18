/**
 * Discovery entries we publish with each collect (PROTOCOL.md "Discovery
 * entries"): one `tls.endpoint.v1` per probed MX host, so the host's TLS
 * checker can examine the certificates our probes saw. The key spellings of
 * the payload are ours and live here alone, so they are easy to change.
 */
import type { Observation } from './observation.js';

export const TLS_ENDPOINT_ENTRY_TYPE = 'tls.endpoint.v1';
/** Key under which a host hands back the TLS checker's observations of our entries. */
export const RELATED_TLS_KEY = 'tls_probes';
/** STARTTLS dialect name in the TLS endpoint contract. */
const STARTTLS_DIALECT = 'smtp';

export interface TlsEndpointPayload {
  host: string;
  port: number;
  sni: string;
  starttls: typeof STARTTLS_DIALECT;
  /** Port 25 STARTTLS is opportunistic; MTA-STS or DANE make it required, and have their own checkers. */
  require_starttls: false;
}

export interface DiscoveryEntry {
  type: string;
  ref: string;
  payload: TlsEndpointPayload;
}

/** Stable across runs: the MX host name and port, never an address (addresses change, names stay). */
export function endpointRef(host: string, port: number): string {
  return `${host}:${port}`;
}

/**
 * One entry per MX host that had at least one endpoint probed, in the
 * observation's endpoint order. An implicit MX is published under the domain
 * name itself.
 */
export function tlsEndpointEntries(obs: Observation): DiscoveryEntry[] {
  const seen = new Map<string, DiscoveryEntry>();
  for (const endpoint of obs.endpoints) {
    for (const host of endpoint.mx) {
      const ref = endpointRef(host, endpoint.port);
      if (seen.has(ref)) continue;
      seen.set(ref, {
        type: TLS_ENDPOINT_ENTRY_TYPE,
        ref,
        payload: { host, port: endpoint.port, sni: host, starttls: STARTTLS_DIALECT, require_starttls: false },
      });
    }
  }
  return [...seen.values()];
}

/** The refs under which an endpoint's related TLS observations arrive (one per MX name leading to it). */
export function refsOfEndpoint(endpoint: { mx: string[]; port: number }): string[] {
  return endpoint.mx.map((host) => endpointRef(host, endpoint.port));
}
