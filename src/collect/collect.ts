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
import { collectDnsFacts } from './dns/posture.js';
import { probeEndpoint, type EndpointTarget } from './smtp/probe-endpoint.js';
import { withProbesSkipped } from './smtp/transactions.js';
import { planEndpoints } from './plan-endpoints.js';
import { formatHostPort } from './smtp/connection.js';
import { defaultTrustStore } from './tls/trust-store.js';
import { MAX_PARALLEL_ENDPOINTS } from '../model/limits.js';
import type { ConnectionGate } from './connection-gate.js';
import type { TargetPolicy } from './target-policy.js';
import { SMTP_PORT, type ResolverAddress } from '../config/settings.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../model/package-info.js';

export type ProgressEvent =
  | { type: 'dns'; dns: DnsFacts; endpoints: EndpointTarget[] }
  | { type: 'endpoint-phase'; subject: string; phase: Phase }
  | { type: 'endpoint-done'; endpoint: EndpointProbe };

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
}

function withoutDomain({ domain: _domain, ...rest }: CheckOptions): Omit<CheckOptions, 'domain'> {
  return rest;
}

/**
 * Collect everything about `rawOptions.domain`. Throws OptionError for bad
 * options (before any connection); everything a server or the DNS does wrong
 * is recorded in the observation instead.
 */
export async function collect(
  rawOptions: Record<string, unknown>,
  settings: CollectSettings = {},
): Promise<Observation> {
  const options = withProbesSkipped(parseOptions(rawOptions), settings.skipProbes);
  const started = Date.now();
  const port = settings.port ?? SMTP_PORT;
  const dnsClient = settings.dns ?? createDnsClient({ resolver: settings.resolver ?? null });
  const trustStore = settings.trustStore ?? defaultTrustStore();

  const dns = await collectDnsFacts(dnsClient, options.domain, settings.mx);
  const plan = dns.null_mx ? [] : planEndpoints(dns, port);
  settings.onProgress?.({ type: 'dns', dns, endpoints: plan });

  const limit = pLimit(settings.concurrency ?? MAX_PARALLEL_ENDPOINTS);
  const endpoints = await Promise.all(
    plan.map((target) =>
      limit(async () => {
        const subject = formatHostPort(target);
        const probe = () =>
          probeEndpoint(target, {
            options,
            dns: dnsClient,
            trustStore,
            ...(settings.targetPolicy ? { targetPolicy: settings.targetPolicy } : {}),
            onPhase: (phase) => settings.onProgress?.({ type: 'endpoint-phase', subject, phase }),
          });
        // Time spent queued at the gate is not charged to the endpoint's budget, which starts at connect.
        const endpoint = await (settings.gate ? settings.gate.run(target.address, probe) : probe());
        settings.onProgress?.({ type: 'endpoint-done', endpoint });
        return endpoint;
      }),
    ),
  );

  return {
    version: OBSERVATION_VERSION,
    domain: options.domain,
    collected_at: new Date(started).toISOString(),
    duration_ms: Date.now() - started,
    checker: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
    options: { ...withoutDomain(options), port },
    dns,
    endpoints,
  };
}
