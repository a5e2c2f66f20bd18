/**
 * Is it the resolver or the domain? Asked only after the domain's MX lookup
 * failed or said NXDOMAIN, of the same resolver: the root zone's SOA, which
 * every working resolver answers, and, for an NXDOMAIN, the top-level
 * domain's SOA, which tells a typo in the TLD ("example.cmo") from a name
 * that is merely not registered. A verdict about someone else's domain must
 * not rest on a resolver that is broken or filtering.
 */
import type { DnsFailure, ResolverCheck, ResolverQuestion } from '../../model/observation.js';
import type { DnsClient } from './dns-client.js';

/** The root zone, as the resolver is asked for it. */
export const ROOT_ZONE = '.';

/** Failures that come from the resolver itself, whatever the name: it refused us, or could not be talked to. */
const RESOLVER_SIDE = new Set<DnsFailure['code']>(['REFUSED', 'ERROR']);

async function askSoa(dns: DnsClient, name: string): Promise<ResolverQuestion> {
  const answer = await dns.soa(name);
  return { name, rrtype: 'SOA', answered: answer.ok, error: answer.ok ? null : answer.failure };
}

/** The top-level domain of `domain` ("cmo" for "example.cmo"); null for a single-label name. */
export function topLevelDomain(domain: string): string | null {
  const i = domain.lastIndexOf('.');
  return i === -1 ? null : domain.slice(i + 1);
}

/**
 * Judge the resolver after the MX lookup of `domain` failed with `mxFailure`.
 * Null when the collection was cut (`cut` fired) before the answers were in:
 * unanswered questions would then blame the resolver for our own cut.
 */
export async function checkResolver(
  dns: DnsClient,
  domain: string,
  mxFailure: DnsFailure,
  cut?: AbortSignal,
): Promise<ResolverCheck | null> {
  if (cut?.aborted) return null;
  const check = await judge(dns, domain, mxFailure);
  return cut?.aborted ? null : check;
}

async function judge(dns: DnsClient, domain: string, mxFailure: DnsFailure): Promise<ResolverCheck> {
  const root = await askSoa(dns, ROOT_ZONE);
  if (!root.answered) return { root, tld: null, conclusion: 'resolver' };
  if (mxFailure.code === 'NXDOMAIN') {
    const name = topLevelDomain(domain);
    const tld = name === null ? null : await askSoa(dns, name);
    return { root, tld, conclusion: tld?.error?.code === 'NXDOMAIN' ? 'tld_missing' : 'domain' };
  }
  return { root, tld: null, conclusion: RESOLVER_SIDE.has(mxFailure.code) ? 'resolver' : 'domain' };
}
