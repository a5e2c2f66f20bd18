/**
 * An opt-in answer cache in front of a DnsClient, for bulk runs and
 * long-lived services where many domains share MX hosts: one question asked
 * while the same question is in flight waits for that answer, and an answer
 * is reused within its TTL. Positive answers live min(TTL, a ceiling);
 * NXDOMAIN/NODATA live a short fixed time (RFC 2308, bounded: node:dns hides
 * the SOA); SERVFAIL, REFUSED and timeouts are never kept (RFC 2308 §7 allows
 * it, but a transient failure must not outlive its cause). Size is bounded,
 * least recently used first out. One cache serves one resolver.
 *
 *   const dns = withDnsCache(createDnsClient({ resolver }), createDnsCache());
 *   await collect(options, { dns, gate });
 */
import {
  DNS_CACHE_MAX_ENTRIES,
  DNS_CACHE_MAX_TTL_S,
  DNS_CACHE_NEGATIVE_TTL_S,
  DNS_CACHE_UNREPORTED_TTL_S,
} from '../../model/limits.js';
import type { DnsClient, Lookup } from './dns-client.js';

export interface DnsCacheOptions {
  maxEntries?: number;
  /** Ceiling on any positive answer's lifetime, seconds. */
  maxTtlS?: number;
  /** Lifetime of a positive answer whose TTL the resolver did not report (MX, CNAME, PTR through node:dns). */
  unreportedTtlS?: number;
  /** Lifetime of NXDOMAIN and NODATA. */
  negativeTtlS?: number;
  /** Clock in milliseconds (tests move it). */
  now?: () => number;
}

export interface DnsCacheStats {
  /** Answers served from the cache. */
  hits: number;
  /** Questions that waited for an identical question already in flight. */
  coalesced: number;
  /** Questions sent to the resolver. */
  misses: number;
  entries: number;
}

export interface DnsCache {
  /** The cached answer to `key`, or `ask()`'s (shared with concurrent askers, kept as the rules above say). */
  lookup<T>(key: string, ask: () => Promise<Lookup<T>>): Promise<Lookup<T>>;
  stats(): DnsCacheStats;
  clear(): void;
}

export function createDnsCache(options: DnsCacheOptions = {}): DnsCache {
  const maxEntries = options.maxEntries ?? DNS_CACHE_MAX_ENTRIES;
  const maxTtlS = options.maxTtlS ?? DNS_CACHE_MAX_TTL_S;
  const unreportedTtlS = Math.min(options.unreportedTtlS ?? DNS_CACHE_UNREPORTED_TTL_S, maxTtlS);
  const negativeTtlS = Math.min(options.negativeTtlS ?? DNS_CACHE_NEGATIVE_TTL_S, maxTtlS);
  const now = options.now ?? Date.now;
  /** Map order is recency order: the first key is the least recently used. */
  const answers = new Map<string, { lookup: Lookup<unknown>; expires: number }>();
  const pending = new Map<string, Promise<Lookup<unknown>>>();
  const stats = { hits: 0, coalesced: 0, misses: 0 };

  function lifetimeS(lookup: Lookup<unknown>): number {
    if (lookup.ok) return Math.min(lookup.ttl ?? unreportedTtlS, maxTtlS);
    const negative = lookup.failure.code === 'NXDOMAIN' || lookup.failure.code === 'NODATA';
    return negative ? negativeTtlS : 0;
  }

  function store(key: string, lookup: Lookup<unknown>): void {
    const ttl = lifetimeS(lookup);
    if (!(ttl > 0)) return;
    answers.delete(key);
    answers.set(key, { lookup, expires: now() + ttl * 1000 });
    while (answers.size > maxEntries) answers.delete(answers.keys().next().value as string);
  }

  return {
    lookup<T>(key: string, ask: () => Promise<Lookup<T>>): Promise<Lookup<T>> {
      const cached = answers.get(key);
      if (cached && cached.expires > now()) {
        answers.delete(key);
        answers.set(key, cached);
        stats.hits++;
        return Promise.resolve(cached.lookup as Lookup<T>);
      }
      if (cached) answers.delete(key);
      const inFlight = pending.get(key);
      if (inFlight) {
        stats.coalesced++;
        return inFlight as Promise<Lookup<T>>;
      }
      stats.misses++;
      const question = ask().then(
        (lookup) => {
          pending.delete(key);
          store(key, lookup);
          return lookup;
        },
        (err: unknown) => {
          pending.delete(key);
          throw err;
        },
      );
      pending.set(key, question);
      return question;
    },
    stats: () => ({ ...stats, entries: answers.size }),
    clear: () => answers.clear(),
  };
}

/** `client` answering through `cache`. DNS names compare case-insensitively, so keys are lower-cased. */
export function withDnsCache(client: DnsClient, cache: DnsCache): DnsClient {
  const key = (type: string, name: string) => `${type} ${name.toLowerCase().replace(/\.$/, '')}`;
  return {
    resolver: client.resolver,
    mx: (name) => cache.lookup(key('MX', name), () => client.mx(name)),
    a: (name) => cache.lookup(key('A', name), () => client.a(name)),
    aaaa: (name) => cache.lookup(key('AAAA', name), () => client.aaaa(name)),
    cname: (name) => cache.lookup(key('CNAME', name), () => client.cname(name)),
    ptr: (address) => cache.lookup(key('PTR', address), () => client.ptr(address)),
    // Asked only when a lookup failed, to judge the resolver now: never from the cache.
    soa: (name) => client.soa(name),
  };
}
