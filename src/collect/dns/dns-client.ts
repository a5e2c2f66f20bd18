/**
 * A thin DNS client over node:dns (c-ares) that turns failures into data:
 * every lookup answers either records or a DnsFailure naming the question.
 */
import { Resolver } from 'node:dns/promises';
import type { DnsErrorCode, DnsFailure, ResolverInfo, RrType } from '../../model/observation.js';
import pLimit from 'p-limit';
import { DNS_MAX_IN_FLIGHT, DNS_TIMEOUT_MS, DNS_TRIES } from '../../model/limits.js';
import { parseResolver, resolverServerString, type ResolverAddress } from '../../config/settings.js';

/** `ttl`: seconds the answer may be kept, when the resolver reports it (node:dns does for A/AAAA only). */
export type Lookup<T> = { ok: true; records: T; ttl?: number } | { ok: false; failure: DnsFailure };

import type { MxRecord } from '../../model/mx-record.js';

export type { MxRecord };

export interface DnsClient {
  /** The resolver this client asks, named in every observation so a verdict can say whose answer it was. */
  readonly resolver: ResolverInfo;
  mx(name: string): Promise<Lookup<MxRecord[]>>;
  a(name: string): Promise<Lookup<string[]>>;
  aaaa(name: string): Promise<Lookup<string[]>>;
  cname(name: string): Promise<Lookup<string[]>>;
  ptr(address: string): Promise<Lookup<string[]>>;
  /** The SOA of a zone apex ("." is the root): its primary name server. Asked only to judge the resolver. */
  soa(name: string): Promise<Lookup<string>>;
}

const ERROR_CODES: Record<string, DnsErrorCode> = {
  ENOTFOUND: 'NXDOMAIN',
  ENODATA: 'NODATA',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'REFUSED',
  ETIMEOUT: 'TIMEOUT',
};

function failure(name: string, rrtype: RrType, err: unknown): DnsFailure {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  return { name, rrtype, code: ERROR_CODES[code] ?? 'ERROR', message };
}

export function normaliseName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

async function ask<T>(name: string, rrtype: RrType, run: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return { ok: true, records: await run() };
  } catch (err) {
    return { ok: false, failure: failure(name, rrtype, err) };
  }
}

/** Addresses with the smallest TTL of the RRset, so a cache never keeps one past its lifetime. */
async function askAddresses(
  name: string,
  rrtype: RrType,
  run: () => Promise<{ address: string; ttl: number }[]>,
): Promise<Lookup<string[]>> {
  try {
    const answers = await run();
    const records = answers.map((r) => r.address);
    return answers.length > 0
      ? { ok: true, records, ttl: Math.min(...answers.map((r) => r.ttl)) }
      : { ok: true, records };
  } catch (err) {
    return { ok: false, failure: failure(name, rrtype, err) };
  }
}

export interface DnsClientOptions {
  /** Resolver to ask instead of the system's. */
  resolver?: ResolverAddress | null;
  /** Per-attempt timeout and attempts (tests shorten them). */
  timeoutMs?: number;
  tries?: number;
  /** Questions outstanding at once (more wait their turn; the timeout starts when one is sent). */
  maxInFlight?: number;
}

/**
 * node:dns spells a server on port 53 without the port ("127.0.0.53",
 * "::1"): the observation always says "IP:PORT", so a reader never has to
 * know that default.
 */
function withPort(server: string): string {
  try {
    return resolverServerString(parseResolver(server));
  } catch {
    return server;
  }
}

export function createDnsClient(opts: DnsClientOptions = {}): DnsClient {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? DNS_TIMEOUT_MS, tries: opts.tries ?? DNS_TRIES });
  if (opts.resolver) resolver.setServers([resolverServerString(opts.resolver)]);
  const limit = pLimit(opts.maxInFlight ?? DNS_MAX_IN_FLIGHT);
  const info: ResolverInfo = Object.freeze({
    servers: resolver.getServers().map(withPort),
    source: opts.resolver ? 'setting' : 'system',
  });
  return {
    resolver: info,
    mx: (name) =>
      ask(name, 'MX', async () =>
        (await limit(() => resolver.resolveMx(name))).map((r) => ({
          preference: r.priority,
          exchange: normaliseName(r.exchange),
        })),
      ),
    a: (name) => askAddresses(name, 'A', () => limit(() => resolver.resolve4(name, { ttl: true }))),
    aaaa: (name) => askAddresses(name, 'AAAA', () => limit(() => resolver.resolve6(name, { ttl: true }))),
    cname: (name) =>
      ask(name, 'CNAME', async () => (await limit(() => resolver.resolveCname(name))).map(normaliseName)),
    ptr: (address) =>
      ask(address, 'PTR', async () => (await limit(() => resolver.reverse(address))).map(normaliseName)),
    soa: (name) => ask(name, 'SOA', async () => normaliseName((await limit(() => resolver.resolveSoa(name))).nsname)),
  };
}
