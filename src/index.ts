/**
 * checker-smtp as a library: collect (I/O) and evaluate (pure), the text and
 * HTML reports, plus the observation and state types they exchange.
 */
export { collect, applyEnabledRules, planEndpoints, type CollectSettings, type ProgressEvent } from './collect.js';
export { collectMany, type CollectManySettings } from './collect-many.js';
export { createConnectionGate, type ConnectionGate, type ConnectionGateOptions, type ConnectionGateStats } from './connection-gate.js';
export { tlsEndpointEntries, endpointRef, refsOfEndpoint, TLS_ENDPOINT_ENTRY_TYPE, RELATED_TLS_KEY, type DiscoveryEntry, type TlsEndpointPayload } from './discovery.js';
export { evaluate, RULES, ruleDescriptions, type EvaluateOptions, type Rule } from './rules/index.js';
export { renderText } from './cli/render-text.js';
export { renderReport, ReportView, REPORT_CSS, buildReportView, type ReportViewProps, type ReportViewModel } from './report/index.js';
export { parseRelatedTls, STALE_AFTER_MS, type RelatedTlsIndex, type RelatedTlsProbe } from './related/tls-probes.js';
export { validateObservation } from './observation-schema.js';
export { metricsOf, type CheckMetric } from './metrics.js';
export { publicTargetsOnly, nonPublicReason, type TargetPolicy } from './target-policy.js';
export { buildApp, type AppOptions } from './server/app.js';
export { parseOptions, OPTION_FIELDS, DEFAULT_HELO_NAME, DEFAULT_PROBE_ADDRESS, type CheckOptions } from './options.js';
export { parseResolver, parsePort, SMTP_PORT, type ResolverAddress } from './settings.js';
export { createDnsClient, type DnsClient } from './dns/dns-client.js';
export { createDnsCache, withDnsCache, type DnsCache, type DnsCacheOptions, type DnsCacheStats } from './dns/dns-cache.js';
export { Status, STATUS_NAMES, worstStatus, exitCodeFor, severity, type CheckState, type StatusValue } from './status.js';
export { CheckerError, OptionError } from './errors.js';
export * from './observation.js';
