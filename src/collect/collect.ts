/**
 * Collection: the I/O half. Domain → DNS facts → endpoint plan → endpoint
 * probes (in parallel, bounded) → one Observation. Nothing after this point
 * touches the network.
 */
import pLimit from 'p-limit';
import type { DnsFacts, EndpointProbe, Observation, Phase } from '../model/observation.js';
import { OBSERVATION_VERSION } from '../model/observation.js';
import { parseOptions, type CheckOptions } from '../config/options.js';
import { createDnsClient, type DnsClient, type MxRecord } from './dns/dns-client.js';
import { collectDnsFacts } from './dns/posture.js';
import { probeEndpoint, type EndpointTarget } from './smtp/probe-endpoint.js';
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
  /** Rules switched off by the host: probes only they need are not sent. */
  enabledRules?: Record<string, boolean>;
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

/** Which probe each rule alone needs: a disabled rule means the probe is not sent. */
const PROBE_RULES = {
  test_null_sender: 'smtp.null_sender',
  test_postmaster: 'smtp.postmaster',
  test_open_relay: 'smtp.open_relay',
} as const;

export function applyEnabledRules(options: CheckOptions, enabled?: Record<string, boolean>): CheckOptions {
  if (!enabled) return options;
  const out = { ...options };
  for (const [option, rule] of Object.entries(PROBE_RULES) as [keyof typeof PROBE_RULES, string][]) {
    if (enabled[rule] === false) out[option] = false;
  }
  return out;
}

function withoutDomain({ domain: _domain, ...rest }: CheckOptions): Omit<CheckOptions, 'domain'> {
  return rest;
}

/** One endpoint per distinct address, remembering every MX name that leads to it. */
export function planEndpoints(dns: DnsFacts, port: number): EndpointTarget[] {
  const byAddress = new Map<string, EndpointTarget>();
  for (const target of dns.mx) {
    if (target.ip_literal) continue; // senders do not deliver to a literal MX: nothing to probe
    const addresses: [string, 4 | 6][] = [
      ...target.ipv4.map((a): [string, 4] => [a, 4]),
      ...target.ipv6.map((a): [string, 6] => [a, 6]),
    ];
    for (const [address, family] of addresses) {
      const existing = byAddress.get(address);
      if (existing) {
        if (!existing.mx.includes(target.name)) existing.mx.push(target.name);
        existing.preference = Math.min(existing.preference, target.preference);
      } else {
        byAddress.set(address, { address, family, port, mx: [target.name], preference: target.preference });
      }
    }
  }
  return [...byAddress.values()].sort(
    (a, b) =>
      a.preference - b.preference || a.family - b.family || a.address.localeCompare(b.address, 'en', { numeric: true }),
  );
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
  const options = applyEnabledRules(parseOptions(rawOptions), settings.enabledRules);
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
