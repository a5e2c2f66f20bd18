/**
 * DNS posture of a domain: its MX set (or null / implicit MX), and for every
 * target whether it is an IP literal or a CNAME, and its A/AAAA. Failures are
 * recorded with the name that failed; nothing here throws for a bad zone.
 */
import { isIP } from 'node:net';
import type { DnsFacts, DnsFailure, MxNotProbed, MxTarget } from '../../model/observation.js';
import { MAX_CNAME_HOPS, MAX_MX_RECORDS, MAX_MX_TARGETS } from '../../model/limits.js';
import { mappedIpv4 } from '../target-policy.js';
import type { DnsClient, Lookup, MxRecord } from './dns-client.js';
import { checkResolver } from './resolver-check.js';

/** Which MX names a deployment lets the checker look up and probe: null to go ahead, or why not. */
export type MxNamePolicy = (name: string) => string | null;

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
      ipv4_mapped: [],
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
  // An IPv4-mapped AAAA (::ffff:192.0.2.1) is that IPv4 address, not IPv6: one endpoint, probed once, as IPv4.
  const answered6 = aaaa.ok ? aaaa.records : [];
  const mapped = answered6.filter((address) => mappedIpv4(address) !== null);
  const ipv4 = sortAddresses([...(a.ok ? a.records : []), ...mapped.map((address) => mappedIpv4(address)!)]);
  const ipv6 = sortAddresses(answered6.filter((address) => mappedIpv4(address) === null));
  if (ipv4.length === 0 && ipv6.length === 0 && unique.length === 0) {
    // Both families answered NODATA: the name exists but has no address.
    unique.push({ name, rrtype: 'A', code: 'NODATA', message: `${name} has no A or AAAA record` });
  }
  return {
    preference,
    name,
    ip_literal: false,
    cname_chain: chain,
    ipv4,
    ipv6,
    ipv4_mapped: sortAddresses(mapped),
    errors: unique,
    implicit,
  };
}

/**
 * The MX targets to look up and probe, and those left out with why: names
 * the deployment refuses, then everything past the best MAX_MX_TARGETS
 * (RFC 5321 §5.1: senders try them in preference order). The left-out list
 * keeps MAX_MX_RECORDS names with the chosen ones; the rest are counted.
 */
export function chooseMxTargets(
  records: readonly MxRecord[],
  policy?: MxNamePolicy,
): { chosen: MxRecord[]; notProbed: MxNotProbed[]; unlisted: number } {
  const distinct = new Map<string, MxRecord>();
  for (const r of [...records].sort((a, b) =>
    byPreference({ preference: a.preference, name: a.exchange }, { preference: b.preference, name: b.exchange }),
  )) {
    if (!distinct.has(r.exchange)) distinct.set(r.exchange, r);
  }
  const chosen: MxRecord[] = [];
  const left: MxNotProbed[] = [];
  for (const r of distinct.values()) {
    const refused = policy?.(r.exchange) ?? null;
    if (refused !== null) {
      left.push({ preference: r.preference, name: r.exchange, reason: 'not_allowed', message: refused });
    } else if (chosen.length < MAX_MX_TARGETS) {
      chosen.push(r);
    } else {
      left.push({
        preference: r.preference,
        name: r.exchange,
        reason: 'capped',
        message: `not probed: over the cap of ${MAX_MX_TARGETS} MX targets per check (the ${MAX_MX_TARGETS} best preferences were probed)`,
      });
    }
  }
  const room = Math.max(0, MAX_MX_RECORDS - chosen.length);
  return { chosen, notProbed: left.slice(0, room), unlisted: Math.max(0, left.length - room) };
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
  how: { mxNamePolicy?: MxNamePolicy; publishedBy?: 'service' | 'given' } = {},
): Promise<DnsFacts> {
  const source = published ? (how.publishedBy ?? 'service') : 'live';
  const answered = {
    source,
    mx_not_probed: [] as MxNotProbed[],
    mx_error: null,
    resolver: dns.resolver,
    resolver_check: null,
    mx_unlisted: 0,
  } as const;
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

  // Names over the cap or refused by the deployment are not even looked up: a zone cannot make one check ask more.
  const { chosen, notProbed, unlisted } = chooseMxTargets(named, how.mxNamePolicy);
  const given = source === 'given';
  const targets = await Promise.all(chosen.map((r) => resolveTarget(dns, r.preference, r.exchange, false, given)));
  return {
    ...answered,
    null_mx: false,
    implicit_mx: false,
    mx: targets.sort(byPreference),
    mx_not_probed: notProbed,
    mx_unlisted: unlisted,
  };
}
