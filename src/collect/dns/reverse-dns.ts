/**
 * Reverse DNS of an endpoint address: its PTR names, and whether one of them
 * resolves back to the address (forward-confirmed reverse DNS, FCrDNS).
 */
import type { DnsFailure, ReverseDns } from '../../model/observation.js';
import { MAX_PTR_NAMES } from '../../model/limits.js';
import type { DnsClient } from './dns-client.js';

export async function lookupReverseDns(dns: DnsClient, address: string, family: 4 | 6): Promise<ReverseDns> {
  const ptr = await dns.ptr(address);
  if (!ptr.ok) {
    const missing = ptr.failure.code === 'NXDOMAIN' || ptr.failure.code === 'NODATA';
    return { ptr: [], ptr_error: missing ? null : ptr.failure, forward: [], fcrdns: false };
  }
  const names = [...new Set(ptr.records)].slice(0, MAX_PTR_NAMES);
  const forward = await Promise.all(
    names.map(async (name) => {
      const r = family === 4 ? await dns.a(name) : await dns.aaaa(name);
      const error: DnsFailure | null = r.ok ? null : r.failure;
      return { name, addresses: r.ok ? [...r.records].sort() : [], error };
    }),
  );
  const wanted = address.toLowerCase();
  const fcrdns = forward.some((f) => f.addresses.some((a) => a.toLowerCase() === wanted));
  return { ptr: names, ptr_error: null, forward, fcrdns };
}

/** What an endpoint records when the lookup could not finish within its budget. */
export function reverseDnsTimedOut(address: string): ReverseDns {
  return {
    ptr: [],
    ptr_error: {
      name: address,
      rrtype: 'PTR',
      code: 'TIMEOUT',
      message: 'reverse lookup did not finish within the endpoint budget',
    },
    forward: [],
    fcrdns: false,
  };
}
