/**
 * Collection: the I/O half. Domain → DNS facts → endpoint plan → endpoint
 * probes (in parallel, bounded) → one Observation. Nothing after this point
 * touches the network.
 */
import pLimit from 'p-limit';
import type { DnsFacts, EndpointProbe, Observation, Phase, TransactionKind } from '../model/observation.js';
import { OBSERVATION_VERSION } from '../model/observation.js';
import { parseOptions, type CheckOptions } from '../config/options.js';
import { createDnsClient, type DnsClient, type MxRecord } from './dns/dns-client.js';
import { withSignal } from './dns/abortable-dns.js';
import { collectDnsFacts } from './dns/posture.js';
import { probeEndpoint, type EndpointTarget, type ProbeContext } from './smtp/probe-endpoint.js';
import { withProbesSkipped } from './smtp/transactions.js';
import { capEndpoints, overCapMessage, planEndpoints } from './plan-endpoints.js';
import { formatHostPort } from './smtp/connection.js';
import { defaultTrustStore } from './tls/trust-store.js';
import {
  DEFAULT_MAX_ENDPOINTS,
  MAX_CAPPED_LISTED,
  MAX_ENDPOINTS_CEILING,
  MAX_MX_TARGETS,
  MAX_PARALLEL_ENDPOINTS,
  defaultCollectDeadlineMs,
} from '../model/limits.js';
import { CheckerError } from '../model/errors.js';
import type { ProbeErrorCode } from '../model/observation.js';
import { GateWaitError, type ConnectionGate } from './connection-gate.js';
import type { TargetPolicy } from './target-policy.js';
import type { MxNamePolicy } from './dns/posture.js';
import { DEFAULT_EGRESS_CANARIES, SMTP_PORT, type EgressCanary, type ResolverAddress } from '../config/settings.js';
import type { SourceAddresses } from '../config/source-address.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../model/package-info.js';
import { gatedUntilCut, markCut, startCut, type CollectCut } from './collect-cut.js';
import { checkEgress, needsEgressCheck } from './egress-check.js';
import { retryReason, tryAgain } from './retry.js';

export type ProgressEvent =
  | { type: 'dns'; dns: DnsFacts; endpoints: EndpointTarget[] }
  | { type: 'endpoint-phase'; subject: string; phase: Phase }
  | { type: 'endpoint-done'; endpoint: EndpointProbe }
  /** The endpoint is tried again (its first attempt may have been our own doing); another endpoint-done follows. */
  | { type: 'endpoint-retry'; subject: string }
  /** No endpoint connected: checking whether this machine reaches port 25 at all. */
  | { type: 'egress-check' };

export interface CollectSettings {
  /** DNS resolver to use instead of the system's. */
  resolver?: ResolverAddress | null;
  /** SMTP port to probe (25 unless testing). */
  port?: number;
  /**
   * MX records to probe instead of looking MX up: the host's service payload
   * (default), or hosts the user named (`mxSource: 'given'`, the CLI's
   * `--mx`; IP addresses and a port per host allowed, see parseMxHosts).
   */
  mx?: MxRecord[];
  /** Who gave `mx`: the host's MX service (default) or the user (recorded as `dns.source`). */
  mxSource?: 'service' | 'given';
  /**
   * Probe only endpoints of this address family (the CLI's -4 / -6); the
   * others are recorded, never dialled, with the error `skipped`.
   */
  addressFamily?: 4 | 6;
  /**
   * Probes not to send, whatever the options say: recorded as switched off
   * by their option. A host turns its disabled rules into these with the
   * rules' own declarations (`probesToSkip` in src/rules).
   */
  skipProbes?: readonly TransactionKind[];
  /** Endpoints probed at once. */
  concurrency?: number;
  onProgress?: (event: ProgressEvent) => void;
  /** Injected for tests and long-running services; created from `resolver` otherwise. */
  dns?: DnsClient;
  trustStore?: string[];
  /**
   * Shared politeness bound (global and per address) across collects. Without
   * one, each collect still probes a given address once, having deduplicated it.
   */
  gate?: ConnectionGate;
  /** Addresses this deployment refuses to dial (recorded as `policy.refused`, never silently skipped). */
  targetPolicy?: TargetPolicy;
  /**
   * Where the egress check dials when no endpoint connected and every one
   * timed out or had no route (DEFAULT_EGRESS_CANARIES when absent; an empty
   * list switches the check off). Tests point it at a loopback peer.
   */
  egressCanary?: readonly EgressCanary[];
  /**
   * The whole collection's deadline in milliseconds, DNS and probes
   * together (default `defaultCollectDeadlineMs(timeout)`: 2 endpoint
   * budgets + 20 s, 44 s for the default 12 s). What is still running then
   * is cut and recorded as such.
   */
  deadlineMs?: number;
  /** Cancels the collection: what is left is recorded as cut (`cancelled`), and collect() returns promptly. */
  signal?: AbortSignal;
  /**
   * Most endpoints (distinct addresses) probed (default DEFAULT_MAX_ENDPOINTS,
   * 32; 1 to MAX_ENDPOINTS_CEILING). The rest are recorded as not probed
   * (`policy.capped`), never dialled; MX targets are capped at MAX_MX_TARGETS.
   */
  maxEndpoints?: number;
  /**
   * Longest a probe waits for a slot of the shared `gate`, in milliseconds;
   * then it is recorded as not probed (`queue.timeout`). No bound when absent
   * (a bulk run's probes wait their turn).
   */
  maxQueueWaitMs?: number;
  /** MX names this deployment refuses to look up and probe (recorded in `dns.mx_not_probed`). */
  mxNamePolicy?: MxNamePolicy;
  /**
   * Told how many endpoints are about to be dialled, once DNS is done and
   * before any connection: throwing refuses the whole collection there (a
   * service's per-client budget of endpoints).
   */
  admit?: (endpoints: number) => void;
  /** This machine's address per family that SMTP connections leave from (default: the system's choice). */
  sourceAddress?: SourceAddresses;
}

/** The endpoint cap of `settings`, checked: a bad value is refused before anything is sent. */
export function endpointCap(settings: Pick<CollectSettings, 'maxEndpoints'>): number {
  const max = settings.maxEndpoints ?? DEFAULT_MAX_ENDPOINTS;
  if (!Number.isInteger(max) || max < 1 || max > MAX_ENDPOINTS_CEILING)
    throw new CheckerError(
      'setting.invalid',
      `The endpoint cap must be a whole number from 1 to ${MAX_ENDPOINTS_CEILING}, got ${max}.`,
    );
  return max;
}

/** `e` recorded under `code` instead of the policy refusal it was made with (same message, never dialled). */
function recordedAs(e: EndpointProbe, code: ProbeErrorCode): EndpointProbe {
  return e.error?.code === 'policy.refused' ? { ...e, error: { ...e.error, code } } : e;
}

/** The ports the user named per MX host (`--mx mx1.example.com:2525`). */
function portsByName(mx: readonly MxRecord[] | undefined): Map<string, number> {
  return new Map((mx ?? []).flatMap((r) => (r.port === undefined ? [] : [[r.exchange, r.port] as const])));
}

/** How an endpoint of the family not asked for is recorded: by choice, never as the server's failure. */
export function skippedFamilyMessage(family: 4 | 6): string {
  return `not probed: only IPv${family} endpoints were asked for (-${family})`;
}

function withoutDomain({ domain: _domain, ...rest }: CheckOptions): Omit<CheckOptions, 'domain'> {
  return rest;
}

/**
 * Collect everything about `rawOptions.domain`. Throws OptionError for bad
 * options (before any connection); everything a server or the DNS does wrong
 * is recorded in the observation instead, and so is a cancel or the
 * deadline running out.
 */
export async function collect(
  rawOptions: Record<string, unknown>,
  settings: CollectSettings = {},
): Promise<Observation> {
  const options = withProbesSkipped(parseOptions(rawOptions), settings.skipProbes);
  endpointCap(settings);
  const started = Date.now();
  const cut = startCut(started, settings.deadlineMs ?? defaultCollectDeadlineMs(options.timeout), settings.signal);
  try {
    return await collectUntil(options, settings, started, cut);
  } finally {
    cut.dispose();
  }
}

async function collectUntil(
  options: CheckOptions,
  settings: CollectSettings,
  started: number,
  cut: CollectCut,
): Promise<Observation> {
  const port = settings.port ?? SMTP_PORT;
  const dnsClient = withSignal(
    settings.dns ?? createDnsClient({ resolver: settings.resolver ?? null }),
    cut.signal,
    cut.message,
  );
  const trustStore = settings.trustStore ?? defaultTrustStore();
  const dns = await collectDnsFacts(dnsClient, options.domain, settings.mx, cut.signal, {
    ...(settings.mxNamePolicy ? { mxNamePolicy: settings.mxNamePolicy } : {}),
    ...(settings.mxSource ? { publishedBy: settings.mxSource } : {}),
  });
  const family = settings.addressFamily ?? null;
  /** Endpoints of the family not asked for (-4, -6) are recorded as skipped by choice: never dialled, never capped. */
  const skip = (t: EndpointTarget): string | null =>
    family === null || t.family === family ? null : skippedFamilyMessage(family);
  const maxEndpoints = endpointCap(settings);
  const planned = dns.null_mx ? [] : planEndpoints(dns, port, portsByName(settings.mx));
  const { overCap } = capEndpoints(
    dns,
    planned.filter((t) => skip(t) === null),
    maxEndpoints,
  );
  const over = new Set(overCap.map((t) => t.address));
  const plan = planned.filter((t) => !over.has(t.address));
  settings.admit?.(
    plan.filter((t) => skip(t) === null && (settings.targetPolicy?.(t.address) ?? null) === null).length,
  );
  settings.onProgress?.({ type: 'dns', dns, endpoints: plan });

  const budgetMs = options.timeout * 1000;
  /** This check's place in the shared gate: fairness is between checks. */
  const owner = {};
  const context = (subject: string, refuse: () => string | null): ProbeContext => ({
    options,
    dns: dnsClient,
    trustStore,
    signal: cut.signal,
    skip,
    targetPolicy: (address) => refuse() ?? settings.targetPolicy?.(address) ?? null,
    onPhase: (phase) => settings.onProgress?.({ type: 'endpoint-phase', subject, phase }),
    sourceAddress: settings.sourceAddress,
  });
  /** One attempt at `target`: through the gate, never dialled once the collection is cut or its wait ran out. */
  const attempt = async (target: EndpointTarget): Promise<EndpointProbe> => {
    let notDialled = false;
    let queueTimeout: string | null = null;
    // The cut and a wait over the limit refuse to dial, as a target policy does: recorded, then renamed below.
    const ctx = context(formatHostPort(target), () => {
      if (cut.signal.aborted) {
        notDialled = true;
        return `not probed: ${cut.message()}`;
      }
      return queueTimeout;
    });
    const probe = () => probeEndpoint(target, ctx);
    // Time spent queued at the gate is not charged to the endpoint's budget, which starts at connect;
    // a cut while queued ends the wait at once.
    const gated = async (gate: ConnectionGate) => {
      try {
        return await gatedUntilCut(gate, target.address, probe, cut.signal, {
          owner,
          ...(settings.maxQueueWaitMs !== undefined ? { maxWaitMs: settings.maxQueueWaitMs } : {}),
        });
      } catch (err) {
        if (!(err instanceof GateWaitError)) throw err;
        queueTimeout = `not probed: ${err.message} (the checker is busy; try again later)`;
        return recordedAs(await probe(), 'queue.timeout');
      }
    };
    // Skipped by choice: recorded at once, without a slot of the gate.
    const endpoint = await (settings.gate && skip(target) === null ? gated(settings.gate) : probe());
    return markCut(endpoint, cut.current(), { notDialled, budgetMs, collectStartedMs: started });
  };

  const limit = pLimit(settings.concurrency ?? MAX_PARALLEL_ENDPOINTS);
  const endpoints = await Promise.all(
    plan.map((target) =>
      limit(async () => {
        const endpoint = await attempt(target);
        settings.onProgress?.({ type: 'endpoint-done', endpoint });
        return endpoint;
      }),
    ),
  );

  // One at a time, as senders try MX hosts, once every other endpoint is done; judged on the first round.
  const firstRound = [...endpoints];
  for (const [i, first] of firstRound.entries()) {
    const reason = retryReason(first, firstRound);
    if (reason === null || cut.signal.aborted) continue;
    settings.onProgress?.({ type: 'endpoint-retry', subject: first.subject });
    const [second] = await tryAgain([{ first, reason }], async () => [await attempt(plan[i]!)], cut.signal);
    endpoints[i] = second!;
    settings.onProgress?.({ type: 'endpoint-done', endpoint: second! });
  }

  const canaries = settings.egressCanary ?? DEFAULT_EGRESS_CANARIES;
  let egress = null;
  if (canaries.length > 0 && needsEgressCheck(endpoints) && !cut.signal.aborted) {
    settings.onProgress?.({ type: 'egress-check' });
    egress = await checkEgress(canaries, {
      dns: dnsClient,
      gate: settings.gate,
      owner,
      timeoutS: options.timeout,
      signal: cut.signal,
      sourceAddress: settings.sourceAddress,
    });
  }

  // Over the cap: recorded, never dialled, no PTR asked; the first MAX_CAPPED_LISTED one by one, the rest counted.
  const capMessage = overCapMessage(maxEndpoints);
  const capped = await Promise.all(
    overCap
      .slice(0, MAX_CAPPED_LISTED)
      .map(async (target) =>
        recordedAs(
          await probeEndpoint(target, { ...context(formatHostPort(target), () => capMessage), reverseDns: false }),
          'policy.capped',
        ),
      ),
  );
  const order = new Map([...plan, ...overCap].map((t, i) => [t.address, i]));
  const recorded = [...endpoints, ...capped].sort((a, b) => order.get(a.address)! - order.get(b.address)!);

  return {
    version: OBSERVATION_VERSION,
    domain: options.domain,
    collected_at: new Date(started).toISOString(),
    duration_ms: Date.now() - started,
    checker: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
    options: { ...withoutDomain(options), port, address_family: family },
    dns,
    endpoints: recorded,
    egress,
    cut: cut.current(),
    caps: { max_mx_targets: MAX_MX_TARGETS, max_endpoints: maxEndpoints, endpoints_over_cap: overCap.length },
  };
}
