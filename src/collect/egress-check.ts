/**
 * The egress check: can this machine reach port 25 at all? Most residential
 * ISPs and many clouds block outbound port 25, and then every MX of every
 * domain times out. When that is what collection saw, a TCP connection to a
 * canary (a large public MX that accepts connections from anywhere) tells
 * the checker's network apart from the domain's servers: connect, read the
 * greeting, QUIT. Canaries are names resolved through the collection's own
 * resolver, and dialled through the same connection gate.
 */
import { isIP } from 'node:net';
import type { EgressCanaryResult, EgressCheck, EndpointProbe, ProbeErrorCode } from '../model/observation.js';
import { EGRESS_CANARY_TIMEOUT_S } from '../model/limits.js';
import { egressSymptom, neverDialled } from '../model/endpoint-state.js';
import type { EgressCanary } from '../config/settings.js';
import type { SourceAddresses } from '../config/source-address.js';
import type { ConnectionGate } from './connection-gate.js';
import type { DnsClient } from './dns/dns-client.js';
import { ProbeAbort, SmtpConnection } from './smtp/connection.js';
import { quit } from './smtp/commands.js';
import { Transcript } from './smtp/transcript.js';

/**
 * The check is worth its cost only when no endpoint connected and every
 * endpoint dialled timed out or had no route: any other answer (a refusal,
 * a greeting) proves packets leave this machine.
 */
export function needsEgressCheck(endpoints: readonly EndpointProbe[]): boolean {
  const dialled = endpoints.filter((e) => !neverDialled(e));
  return dialled.length > 0 && dialled.every(egressSymptom);
}

export interface EgressContext {
  dns: DnsClient;
  gate?: ConnectionGate | undefined;
  /** The check the canaries are dialled for: its place in the gate's fair sharing. */
  owner?: object | undefined;
  /** The per-endpoint budget, seconds: a canary gets at most this (and at most EGRESS_CANARY_TIMEOUT_S). */
  timeoutS: number;
  /** The collection's cancel or deadline. */
  signal?: AbortSignal | undefined;
  /** Where the probes leave from: the canary must be dialled from there too. */
  sourceAddress?: SourceAddresses | undefined;
}

const OUTCOME_OF: Partial<Record<ProbeErrorCode, EgressCanaryResult['outcome']>> = {
  'connect.timeout': 'timeout',
  'connect.unreachable': 'unreachable',
  'connect.refused': 'refused',
};

async function addressOf(dns: DnsClient, host: string): Promise<{ address: string; family: 4 | 6 } | string> {
  const literal = isIP(host);
  if (literal === 4 || literal === 6) return { address: host, family: literal };
  const a = await dns.a(host);
  if (a.ok && a.records[0]) return { address: a.records[0], family: 4 };
  const aaaa = await dns.aaaa(host);
  if (aaaa.ok && aaaa.records[0]) return { address: aaaa.records[0], family: 6 };
  const failure = !a.ok ? a.failure : !aaaa.ok ? aaaa.failure : null;
  return `${host} did not resolve through the same resolver${failure ? ` (${failure.code})` : ''}`;
}

async function dial(canary: EgressCanary, ctx: EgressContext): Promise<EgressCanaryResult> {
  const base = { host: canary.host, port: canary.port };
  const cancelled = (address: string | null): EgressCanaryResult => ({
    ...base,
    address,
    outcome: 'cancelled',
    greeting: null,
    error: 'not dialled: the collection was cut short',
    connect_ms: null,
  });
  if (ctx.signal?.aborted) return cancelled(null);
  const resolved = await addressOf(ctx.dns, canary.host);
  if (typeof resolved === 'string')
    return { ...base, address: null, outcome: 'unresolved', greeting: null, error: resolved, connect_ms: null };
  const target = { ...resolved, port: canary.port, localAddress: ctx.sourceAddress?.[resolved.family] };
  const budgetS = Math.min(ctx.timeoutS, EGRESS_CANARY_TIMEOUT_S);
  const run = async (): Promise<EgressCanaryResult> => {
    if (ctx.signal?.aborted) return cancelled(target.address);
    const timeout = AbortSignal.timeout(budgetS * 1000);
    const budget = ctx.signal ? AbortSignal.any([timeout, ctx.signal]) : timeout;
    const transcript = new Transcript();
    let conn: SmtpConnection;
    try {
      conn = await SmtpConnection.open(target, transcript, budget);
    } catch (err) {
      if (!(err instanceof ProbeAbort)) throw err;
      if (ctx.signal?.aborted) return cancelled(target.address);
      const outcome = OUTCOME_OF[err.error.code] ?? 'error';
      const message = outcome === 'timeout' ? `no answer to the TCP connection within ${budgetS} s` : err.error.message;
      return { ...base, address: target.address, outcome, greeting: null, error: message, connect_ms: null };
    }
    const connectMs = transcript.elapsed();
    const onBudgetOut = () => conn.fail('timeout', `no greeting within ${budgetS} s`);
    budget.addEventListener('abort', onBudgetOut, { once: true });
    try {
      conn.phase = 'greeting';
      const greeting = await conn.read();
      conn.phase = 'quit';
      conn.send(quit());
      await conn.read().catch(() => null);
      return {
        ...base,
        address: target.address,
        outcome: 'connected',
        greeting: greeting.lines[0] ?? null,
        error: null,
        connect_ms: connectMs,
      };
    } catch (err) {
      if (!(err instanceof ProbeAbort)) throw err;
      // Connected is the answer: port 25 leaves this machine, whatever the canary said next.
      const error = err.error.message;
      return { ...base, address: target.address, outcome: 'connected', greeting: null, error, connect_ms: connectMs };
    } finally {
      budget.removeEventListener('abort', onBudgetOut);
      await conn.close();
    }
  };
  return ctx.gate ? ctx.gate.run(target.address, run, ctx.owner ? { owner: ctx.owner } : {}) : run();
}

/** Dial every canary at once; port 25 is reachable when one of them connected. */
export async function checkEgress(canaries: readonly EgressCanary[], ctx: EgressContext): Promise<EgressCheck> {
  const results = await Promise.all(canaries.map((c) => dial(c, ctx)));
  const dialled = results.filter((r) => r.outcome !== 'unresolved' && r.outcome !== 'cancelled');
  const outcome = results.some((r) => r.outcome === 'connected')
    ? 'reachable'
    : dialled.length > 0
      ? 'blocked'
      : 'unknown';
  return { outcome, canaries: results };
}
