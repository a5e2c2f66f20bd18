/**
 * Bulk collection: many domains at once, sharing what they can. DNS answers
 * are cached across the domains (within their TTL), and domains whose MX
 * leads to the same address under the same MX name share SMTP sessions:
 * greeting, EHLO, STARTTLS and EHLO once, then each domain's own
 * transactions (null sender, postmaster@domain, relay probe), then QUIT. The
 * result is one ordinary Observation per domain, each with the shared
 * connection facts and only its own transactions and transcript lines.
 * What collect() tries again (retry.ts: a 421 greeting…) is tried again here
 * too, once, a shared session as one.
 *
 *   const observations = await collectMany(['a.example', 'b.example'], { gate });
 */
import { TlsSessions } from './tls/tls-sessions.js';
import type { EgressCheck, EndpointProbe, Observation, Phase } from '../model/observation.js';
import { OBSERVATION_VERSION } from '../model/observation.js';
import { parseOptions, type CheckOptions } from '../config/options.js';
import { endpointCap, type CollectSettings } from './collect.js';
import { capEndpoints, overCapMessage, planEndpoints } from './plan-endpoints.js';
import { createConnectionGate } from './connection-gate.js';
import { createDnsClient } from './dns/dns-client.js';
import { createDnsCache, withDnsCache } from './dns/dns-cache.js';
import { collectDnsFacts } from './dns/posture.js';
import { withSignal } from './dns/abortable-dns.js';
import { gatedUntilCut, markCut, startCut, type CollectCut } from './collect-cut.js';
import { checkEgress, needsEgressCheck } from './egress-check.js';
import { probeEndpoint, probeSession, type EndpointTarget, type SessionMember } from './smtp/probe-endpoint.js';
import { withProbesSkipped } from './smtp/transactions.js';
import { addressGroups, retryReason, tryAgain, type FirstAttempt } from './retry.js';
import { defaultTrustStore } from './tls/trust-store.js';
import { DOMAINS_PER_SESSION, MAX_CAPPED_LISTED, MAX_MX_TARGETS } from '../model/limits.js';
import { DEFAULT_EGRESS_CANARIES, SMTP_PORT } from '../config/settings.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../model/package-info.js';

/**
 * As collect()'s settings; `signal` cancels the whole batch (what is left is
 * recorded as cut). No per-domain deadline: a bulk run's domains wait in the
 * connection gate's line, and a caller bounds the batch with its signal.
 */
export interface CollectManySettings extends Omit<
  CollectSettings,
  'mx' | 'mxSource' | 'addressFamily' | 'onProgress' | 'concurrency' | 'deadlineMs' | 'maxQueueWaitMs' | 'admit'
> {
  /** Per-check options every domain shares (timeout, helo_name, test_*); `domain` comes from the list. */
  options?: Record<string, unknown>;
  /** Most domains whose transactions share one SMTP session (see DOMAINS_PER_SESSION). */
  domainsPerSession?: number;
  /**
   * TLS sessions to resume (tls-sessions.ts): a batch passes one for the
   * whole run so later chunks resume what earlier ones negotiated; by default
   * each call keeps its own.
   */
  tlsSessions?: TlsSessions;
}

/** "Service not available, closing transmission channel". */
const CLOSING_CODE = 421;

/** Phases in which a shared session can break after some members got their answers. */
const TRANSACTION_PHASES = new Set<Phase>(['null_sender', 'postmaster', 'open_relay', 'quit']);

/** The shared session broke before this member's transactions were all answered. */
function cutShort(probe: EndpointProbe): boolean {
  return probe.error !== null && TRANSACTION_PHASES.has(probe.error.phase);
}

/** The member got 421 (RFC 5321 §3.8: the server is closing the channel), possibly for what earlier members did. */
function closedOn(probe: EndpointProbe): boolean {
  return probe.transactions.some((t) => t.mail?.code === CLOSING_CODE || t.rcpt?.code === CLOSING_CODE);
}

interface Planned {
  index: number;
  options: CheckOptions;
  target: EndpointTarget;
}

/** A member whose first attempt is tried again. */
interface Retrying extends FirstAttempt {
  planned: Planned;
}

function withoutDomain({ domain: _domain, ...rest }: CheckOptions): Omit<CheckOptions, 'domain'> {
  return rest;
}

/** Domains reaching one address under one MX name can share a session: same server, same SNI, same certificate. */
function sessionKey(target: EndpointTarget): string {
  return `${target.address}\u0000${target.mx[0] ?? ''}`;
}

/** Split `list` into runs of at most `size`. */
function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Collect every domain of `domains` (duplicates are checked once each time
 * they appear). Throws OptionError for invalid options or domains before any
 * connection; everything servers and the DNS do wrong is recorded instead.
 * Without a `gate`, one is created: one connection per address at a time.
 */
export async function collectMany(domains: string[], settings: CollectManySettings = {}): Promise<Observation[]> {
  const options = domains.map((domain) =>
    withProbesSkipped(parseOptions({ ...settings.options, domain }), settings.skipProbes),
  );
  endpointCap(settings);
  const perSession = settings.domainsPerSession ?? DOMAINS_PER_SESSION;
  if (!Number.isInteger(perSession) || perSession < 1)
    throw new RangeError(`domainsPerSession must be a positive integer, got ${perSession}.`);
  const started = Date.now();
  const cut = startCut(started, null, settings.signal);
  try {
    return await collectBatch(domains, options, perSession, settings, started, cut);
  } finally {
    cut.dispose();
  }
}

async function collectBatch(
  domains: string[],
  options: CheckOptions[],
  perSession: number,
  settings: CollectManySettings,
  started: number,
  cut: CollectCut,
): Promise<Observation[]> {
  const port = settings.port ?? SMTP_PORT;
  const dns = withSignal(
    settings.dns ?? withDnsCache(createDnsClient({ resolver: settings.resolver ?? null }), createDnsCache()),
    cut.signal,
    cut.message,
  );
  const trustStore = settings.trustStore ?? defaultTrustStore();
  const gate = settings.gate ?? createConnectionGate();
  const finished: number[] = domains.map(() => started);
  const facts = await Promise.all(
    options.map((o) =>
      collectDnsFacts(
        dns,
        o.domain,
        undefined,
        cut.signal,
        settings.mxNamePolicy ? { mxNamePolicy: settings.mxNamePolicy } : {},
      ),
    ),
  );
  const maxEndpoints = endpointCap(settings);
  const capped = facts.map((f) => capEndpoints(f, f.null_mx ? [] : planEndpoints(f, port), maxEndpoints));
  const plans = capped.map((c) => c.probe);
  const sessions = new Map<string, Planned[]>();
  plans.forEach((plan, index) => {
    for (const target of plan) {
      const key = sessionKey(target);
      const list = sessions.get(key) ?? [];
      list.push({ index, options: options[index]!, target });
      sessions.set(key, list);
    }
  });
  const tlsSessions = settings.tlsSessions ?? new TlsSessions();
  /** Probes of one connection; `dialled.no` is set when the cut kept it from dialling. */
  const context = (o: CheckOptions, dialled: { no: boolean }) => ({
    options: o,
    dns,
    trustStore,
    tlsSessions,
    signal: cut.signal,
    sourceAddress: settings.sourceAddress,
    // The cut refuses to dial, as a target policy does: recorded, then renamed by markCut().
    targetPolicy: (address: string) => {
      if (cut.signal.aborted) {
        dialled.no = true;
        return `not probed: ${cut.message()}`;
      }
      return settings.targetPolicy?.(address) ?? null;
    },
  });
  const settle = (probe: EndpointProbe, o: CheckOptions, dialled: { no: boolean }) =>
    markCut(probe, cut.current(), { notDialled: dialled.no, budgetMs: o.timeout * 1000, collectStartedMs: started });
  /** A member's answer is in: the domain has been busy until now at least. */
  const done = (p: Planned) => {
    finished[p.index] = Math.max(finished[p.index]!, Date.now());
  };
  /** One session for `batch` through the gate; one probe per member, in order. */
  const probeBatch = async (batch: Planned[]): Promise<EndpointProbe[]> => {
    const first = batch[0]!;
    const members: SessionMember[] = batch.map((p) => ({
      options: p.options,
      mx: p.target.mx,
      preference: p.target.preference,
    }));
    const target: EndpointTarget = { ...first.target, preference: Math.min(...batch.map((p) => p.target.preference)) };
    const dialled = { no: false };
    const probes = await gatedUntilCut(
      gate,
      target.address,
      () => probeSession(target, context(first.options, dialled), members),
      cut.signal,
    );
    const settled = batch.map((p, i) => settle(probes[i]!, p.options, dialled));
    // A session cut during the transactions (a 421 past an error limit, a close, a timeout) must not
    // cost a domain its answers: those left without them are probed again, each on its own connection.
    const alone: number[] = [];
    batch.forEach((p, i) => {
      const probe = settled[i]!;
      if (batch.length > 1 && !cut.signal.aborted && (cutShort(probe) || closedOn(probe))) alone.push(i);
      else done(p);
    });
    for (const i of alone) {
      const p = batch[i]!;
      const again = { no: false };
      const probe = await gatedUntilCut(
        gate,
        p.target.address,
        () => probeEndpoint(p.target, context(p.options, again)),
        cut.signal,
      );
      settled[i] = settle(probe, p.options, again);
      done(p);
    }
    return settled;
  };
  const results = new Map<Planned, EndpointProbe>();
  await Promise.all(
    [...sessions.values()].flatMap((list) =>
      chunks(list, perSession).map(async (batch) => {
        const probes = await probeBatch(batch);
        batch.forEach((p, i) => results.set(p, probes[i]!));
      }),
    ),
  );

  // Second attempts, as collect() makes them (retry.ts), once every first attempt of the batch is done.
  // The members of a session that met a busy server try again together, as one session: the 421 was
  // about the connection, not about any member, and one connection per member would answer a server
  // that just said it is busy with several where one did. Addresses that may be one server (those a
  // domain lists together) get their second attempts one at a time, each after the back-off, as
  // collect() tries a domain's endpoints; unrelated servers are retried side by side, and the gate
  // still keeps one connection per address.
  const firstRound: EndpointProbe[][] = domains.map(() => []);
  for (const [p, probe] of results) firstRound[p.index]!.push(probe);
  const retrying = new Map<string, Retrying[]>();
  for (const [p, first] of results) {
    const reason = retryReason(first, firstRound[p.index]!);
    if (reason === null) continue;
    const key = sessionKey(p.target);
    if (!retrying.has(key)) retrying.set(key, []);
    retrying.get(key)!.push({ planned: p, first, reason });
  }
  const group = addressGroups(plans.map((plan) => plan.map((t) => t.address)));
  /** Second-attempt sessions per group of addresses, in the order they will go. */
  const lines = new Map<string, Retrying[][]>();
  for (const list of retrying.values()) {
    const line = group.get(list[0]!.planned.target.address)!;
    if (!lines.has(line)) lines.set(line, []);
    lines.get(line)!.push(...chunks(list, perSession));
  }
  await Promise.all(
    [...lines.values()].map(async (line) => {
      for (const batch of line) {
        if (cut.signal.aborted) return;
        const seconds = await tryAgain(batch, () => probeBatch(batch.map((r) => r.planned)), cut.signal);
        batch.forEach((r, i) => results.set(r.planned, seconds[i]!));
      }
    }),
  );

  const byDomain: Planned[][] = domains.map(() => []);
  for (const p of results.keys()) byDomain[p.index]!.push(p);
  const endpointsOf = options.map((_o, index) => {
    const order = plans[index]!;
    return byDomain[index]!.sort((a, b) => order.indexOf(a.target) - order.indexOf(b.target)).map((p) =>
      results.get(p)!,
    );
  });
  // One egress check serves every domain of the batch that needs it: the answer is about this machine.
  const canaries = settings.egressCanary ?? DEFAULT_EGRESS_CANARIES;
  let egress: Promise<EgressCheck> | null = null;
  const egressFor = (endpoints: EndpointProbe[]): Promise<EgressCheck> | null => {
    if (canaries.length === 0 || cut.signal.aborted || !needsEgressCheck(endpoints)) return null;
    egress ??= checkEgress(canaries, {
      dns,
      gate,
      timeoutS: options[0]!.timeout,
      signal: cut.signal,
      sourceAddress: settings.sourceAddress,
    });
    return egress;
  };
  const egressChecks = await Promise.all(endpointsOf.map((e) => egressFor(e)));
  // Over the cap: recorded without a connection or a PTR question, as collect() does.
  const overCapOf = await Promise.all(
    capped.map(({ overCap }, index) => {
      const message = overCapMessage(maxEndpoints);
      return Promise.all(
        overCap.slice(0, MAX_CAPPED_LISTED).map(async (target) => {
          const probe = await probeEndpoint(target, {
            ...context(options[index]!, { no: false }),
            targetPolicy: () => message,
            reverseDns: false,
          });
          return probe.error ? { ...probe, error: { ...probe.error, code: 'policy.capped' as const } } : probe;
        }),
      );
    }),
  );
  return options.map((o, index) => {
    const order = new Map([...capped[index]!.probe, ...capped[index]!.overCap].map((t, i) => [t.address, i]));
    const endpoints = [...endpointsOf[index]!, ...overCapOf[index]!].sort(
      (a, b) => order.get(a.address)! - order.get(b.address)!,
    );
    return {
      version: OBSERVATION_VERSION,
      domain: o.domain,
      collected_at: new Date(started).toISOString(),
      duration_ms: finished[index]! - started,
      checker: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      options: { ...withoutDomain(o), port, address_family: null },
      dns: facts[index]!,
      endpoints,
      egress: egressChecks[index] ?? null,
      cut: cut.current(),
      caps: {
        max_mx_targets: MAX_MX_TARGETS,
        max_endpoints: maxEndpoints,
        endpoints_over_cap: capped[index]!.overCap.length,
      },
    };
  });
}
