/**
 * A DNS client that gives up when a signal fires: the collection's deadline
 * or its caller's cancel. A lookup still pending then answers a TIMEOUT
 * failure naming why, at once, so the DNS facts are complete and say what
 * was cut; the question itself ends on its own within the client's timeout.
 * The client underneath may be shared (a service's), so it is never
 * cancelled itself.
 */
import type { DnsFailure, RrType } from '../../model/observation.js';
import type { DnsClient, Lookup } from './dns-client.js';

export function withSignal(client: DnsClient, signal: AbortSignal, why: () => string): DnsClient {
  function bounded<T>(name: string, rrtype: RrType, ask: () => Promise<Lookup<T>>): Promise<Lookup<T>> {
    const cut = (): Lookup<T> => {
      const failure: DnsFailure = { name, rrtype, code: 'TIMEOUT', message: `not answered: ${why()}` };
      return { ok: false, failure };
    };
    if (signal.aborted) return Promise.resolve(cut());
    return new Promise((resolve, reject) => {
      const onAbort = () => resolve(cut());
      signal.addEventListener('abort', onAbort, { once: true });
      ask().then(
        (answer) => {
          signal.removeEventListener('abort', onAbort);
          resolve(answer);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err as Error);
        },
      );
    });
  }
  return {
    resolver: client.resolver,
    mx: (name) => bounded(name, 'MX', () => client.mx(name)),
    a: (name) => bounded(name, 'A', () => client.a(name)),
    aaaa: (name) => bounded(name, 'AAAA', () => client.aaaa(name)),
    cname: (name) => bounded(name, 'CNAME', () => client.cname(name)),
    ptr: (address) => bounded(address, 'PTR', () => client.ptr(address)),
    soa: (name) => bounded(name, 'SOA', () => client.soa(name)),
  };
}
