/**
 * Discovery entries we publish with each collect (PROTOCOL.md "Discovery
 * entries"): one `tls.endpoint.v1` per probed MX host, so the host's TLS
 * checker can examine the certificates our probes saw. The key spellings of
 * the payload are ours and live here alone, so they are easy to change.
 */
import Type, { type Static } from 'typebox';
import type { Observation } from './observation.js';

export const TLS_ENDPOINT_ENTRY_TYPE = 'tls.endpoint.v1';
/** Key under which a host hands back the TLS checker's observations of our entries. */
export const RELATED_TLS_KEY = 'tls_probes';
/** STARTTLS dialect name in the TLS endpoint contract. */
const STARTTLS_DIALECT = 'smtp';

export const TlsEndpointPayloadSchema = Type.Object(
  {
    host: Type.String({ description: 'MX host name to connect to.' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: 'SMTP port.' }),
    sni: Type.String({ description: 'Server name to send in the TLS handshake.' }),
    starttls: Type.Literal(STARTTLS_DIALECT, { description: 'STARTTLS dialect to speak before the handshake.' }),
    // Port 25 STARTTLS is opportunistic; MTA-STS or DANE make it required, and have their own checkers.
    require_starttls: Type.Literal(false, { description: 'Whether a client must refuse to send without TLS.' }),
  },
  { description: 'What a TLS checker needs to probe one MX endpoint (the TLS endpoint contract).' },
);
export type TlsEndpointPayload = Static<typeof TlsEndpointPayloadSchema>;

export const DiscoveryEntrySchema = Type.Object(
  {
    type: Type.String({ description: `Entry contract, "${TLS_ENDPOINT_ENTRY_TYPE}".` }),
    ref: Type.String({ description: 'Stable across runs: "mx1.example.com:25".' }),
    payload: TlsEndpointPayloadSchema,
  },
  { description: 'An entry published for other checkers (PROTOCOL.md DiscoveryEntry).' },
);
export type DiscoveryEntry = Static<typeof DiscoveryEntrySchema>;

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
