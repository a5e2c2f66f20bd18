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
import { planEndpoints } from './plan-endpoints.js';
import { formatHostPort } from './smtp/connection.js';
import { defaultTrustStore } from './tls/trust-store.js';
import { MAX_PARALLEL_ENDPOINTS, RETRY_BACKOFF_MS, defaultCollectDeadlineMs } from '../model/limits.js';
import type { ConnectionGate } from './connection-gate.js';
import type { TargetPolicy } from './target-policy.js';
import { DEFAULT_EGRESS_CANARIES, SMTP_PORT, type EgressCanary, type ResolverAddress } from '../config/settings.js';
import type { SourceAddresses } from '../config/source-address.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../model/package-info.js';
import { gatedUntilCut, markCut, startCut, type CollectCut } from './collect-cut.js';
import { checkEgress, needsEgressCheck } from './egress-check.js';
import { backOff, retryReason, withFirstAttempt } from './retry.js';

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
  /** MX records from the host's service payload: probe these instead of looking MX up. */
  mx?: MxRecord[];
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
  /** This machine's address per family that SMTP connections leave from (default: the system's choice). */
  sourceAddress?: SourceAddresses;
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
  const dns = await collectDnsFacts(dnsClient, options.domain, settings.mx, cut.signal);
  const plan = dns.null_mx ? [] : planEndpoints(dns, port);
  settings.onProgress?.({ type: 'dns', dns, endpoints: plan });

  const budgetMs = options.timeout * 1000;
  /** One attempt at `target`: through the gate, never dialled once the collection is cut. */
  const attempt = async (target: EndpointTarget): Promise<EndpointProbe> => {
    const subject = formatHostPort(target);
    let notDialled = false;
    const ctx: ProbeContext = {
      options,
      dns: dnsClient,
      trustStore,
      signal: cut.signal,
      // The cut refuses to dial, as a target policy does: recorded, then renamed below.
      targetPolicy: (address) => {
        if (cut.signal.aborted) {
          notDialled = true;
          return `not probed: ${cut.message()}`;
        }
        return settings.targetPolicy?.(address) ?? null;
      },
      onPhase: (phase) => settings.onProgress?.({ type: 'endpoint-phase', subject, phase }),
      sourceAddress: settings.sourceAddress,
    };
    const probe = () => probeEndpoint(target, ctx);
    // Time spent queued at the gate is not charged to the endpoint's budget, which starts at connect;
    // a cut while queued ends the wait at once.
    const endpoint = await (settings.gate ? gatedUntilCut(settings.gate, target.address, probe, cut.signal) : probe());
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
    const waitStarted = Date.now();
    await backOff(RETRY_BACKOFF_MS, cut.signal);
    const second = await attempt(plan[i]!);
    endpoints[i] = withFirstAttempt(second, first, reason, Date.parse(second.started_at) - waitStarted);
    settings.onProgress?.({ type: 'endpoint-done', endpoint: endpoints[i] });
  }

  const canaries = settings.egressCanary ?? DEFAULT_EGRESS_CANARIES;
  let egress = null;
  if (canaries.length > 0 && needsEgressCheck(endpoints) && !cut.signal.aborted) {
    settings.onProgress?.({ type: 'egress-check' });
    egress = await checkEgress(canaries, {
      dns: dnsClient,
      gate: settings.gate,
      timeoutS: options.timeout,
      signal: cut.signal,
      sourceAddress: settings.sourceAddress,
    });
  }

  return {
    version: OBSERVATION_VERSION,
    domain: options.domain,
    collected_at: new Date(started).toISOString(),
    duration_ms: Date.now() - started,
    checker: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
    options: { ...withoutDomain(options), port },
    dns,
    endpoints,
    egress,
    cut: cut.current(),
  };
}
