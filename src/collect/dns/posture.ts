/**
 * DNS posture of a domain: its MX set (or null / implicit MX), and for every
 * target whether it is an IP literal or a CNAME, and its A/AAAA. Failures are
 * recorded with the name that failed; nothing here throws for a bad zone.
 */
import { isIP } from 'node:net';
import type { DnsFacts, DnsFailure, MxTarget } from '../../model/observation.js';
import { MAX_CNAME_HOPS, MAX_MX_TARGETS } from '../../model/limits.js';
import type { DnsClient, Lookup, MxRecord } from './dns-client.js';
import { checkResolver } from './resolver-check.js';

/** A missing record type is not a failure worth listing (a v4-only MX has no AAAA). */
function realFailure(l: Lookup<unknown>): DnsFailure | null {
  return !l.ok && l.failure.code !== 'NODATA' ? l.failure : null;
}

function sortAddresses(list: string[]): string[] {
  return [...new Set(list.map((a) => a.toLowerCase()))].sort();
}

/** Follow the CNAME chain of a name (loop- and length-bounded). */
async function cnameChain(dns: DnsClient, name: string): Promise<string[]> {
  const chain: string[] = [];
  let current = name;
  for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
    const r = await dns.cname(current);
    const next = r.ok ? r.records[0] : undefined;
    if (!next || next === name || chain.includes(next)) break;
    chain.push(next);
    current = next;
  }
  return chain;
}

async function resolveTarget(
  dns: DnsClient,
  preference: number,
  name: string,
  implicit: boolean,
  given = false,
): Promise<MxTarget> {
  const family = isIP(name);
  if (family !== 0) {
    // A literal the user named (--mx 192.0.2.1) is the address to probe; a published one is only flagged.
    const own = given ? [name.toLowerCase()] : [];
    return {
      preference,
      name,
      ip_literal: true,
      cname_chain: [],
      ipv4: family === 4 ? own : [],
      ipv6: family === 6 ? own : [],
      errors: [],
      implicit,
    };
  }
  const [chain, a, aaaa] = await Promise.all([
    implicit ? Promise.resolve([]) : cnameChain(dns, name),
    dns.a(name),
    dns.aaaa(name),
  ]);
  const errors = [realFailure(a), realFailure(aaaa)].filter((f): f is DnsFailure => f !== null);
  // NXDOMAIN shows up for both families; say it once.
  const unique = errors.filter((f, i) => f.code !== 'NXDOMAIN' || errors.findIndex((g) => g.code === 'NXDOMAIN') === i);
  const ipv4 = a.ok ? sortAddresses(a.records) : [];
  const ipv6 = aaaa.ok ? sortAddresses(aaaa.records) : [];
  if (ipv4.length === 0 && ipv6.length === 0 && unique.length === 0) {
    // Both families answered NODATA: the name exists but has no address.
    unique.push({ name, rrtype: 'A', code: 'NODATA', message: `${name} has no A or AAAA record` });
  }
  return { preference, name, ip_literal: false, cname_chain: chain, ipv4, ipv6, errors: unique, implicit };
}

function byPreference(a: { preference: number; name: string }, b: { preference: number; name: string }): number {
  return a.preference - b.preference || a.name.localeCompare(b.name);
}

/**
 * Collect the DNS facts for `domain`. When `published` is given (the MX
 * service the host sent, or hosts the user named: `source` says which), those
 * records are used instead of a live MX lookup. `cut` is the collection's
 * cancel or deadline: once it fired, the resolver is not judged (its silence
 * is ours).
 */
export async function collectDnsFacts(
  dns: DnsClient,
  domain: string,
  published?: MxRecord[],
  cut?: AbortSignal,
  publishedBy: 'service' | 'given' = 'service',
): Promise<DnsFacts> {
  const source = published ? publishedBy : 'live';
  const answered = { source, mx_error: null, resolver: dns.resolver, resolver_check: null } as const;
  let records: MxRecord[];
  if (published) {
    records = published;
  } else {
    const mx = await dns.mx(domain);
    if (!mx.ok && mx.failure.code !== 'NODATA') {
      // Off the common path: only a failed MX lookup costs the questions that judge the resolver.
      const resolver_check = await checkResolver(dns, domain, mx.failure, cut);
      return { ...answered, mx_error: mx.failure, resolver_check, null_mx: false, implicit_mx: false, mx: [] };
    }
    records = mx.ok ? mx.records : [];
  }

  // RFC 7505 §3: a null MX is a single record with an empty (root) target.
  if (records.length === 1 && records[0]!.exchange === '') {
    return { ...answered, null_mx: true, implicit_mx: false, mx: [] };
  }

  const named = records.filter((r) => r.exchange !== '');
  if (named.length === 0) {
    // RFC 5321 §5.1: no MX at all means the domain itself is the implicit MX.
    const target = await resolveTarget(dns, 0, domain, true);
    const exists = target.ipv4.length > 0 || target.ipv6.length > 0;
    return { ...answered, null_mx: false, implicit_mx: exists, mx: exists ? [target] : [] };
  }

  const distinct = new Map<string, MxRecord>();
  for (const r of [...named].sort((a, b) =>
    byPreference({ preference: a.preference, name: a.exchange }, { preference: b.preference, name: b.exchange }),
  )) {
    if (!distinct.has(r.exchange)) distinct.set(r.exchange, r);
  }
  const chosen = [...distinct.values()].slice(0, MAX_MX_TARGETS);
  const given = source === 'given';
  const targets = await Promise.all(chosen.map((r) => resolveTarget(dns, r.preference, r.exchange, false, given)));
  return { ...answered, null_mx: false, implicit_mx: false, mx: targets.sort(byPreference) };
}
