/**
 * checker-smtp as a library: collect (I/O) and evaluate (pure), the text and
 * HTML reports, plus the observation and state types they exchange.
 */
export {
  collect,
  collectMany,
  applyEnabledRules,
  type CollectSettings,
  type CollectManySettings,
  type EnabledRulesSetting,
  type ProgressEvent,
} from './library-collect.js';
export { planEndpoints } from './collect/plan-endpoints.js';
export {
  createConnectionGate,
  type ConnectionGate,
  type ConnectionGateOptions,
  type ConnectionGateStats,
} from './collect/connection-gate.js';
export {
  tlsEndpointEntries,
  endpointRef,
  refsOfEndpoint,
  TLS_ENDPOINT_ENTRY_TYPE,
  RELATED_TLS_KEY,
  type DiscoveryEntry,
  type TlsEndpointPayload,
} from './model/discovery.js';
export { evaluate, probesToSkip, RULES, ruleDescriptions, type EvaluateOptions, type Rule } from './rules/index.js';
export { renderText, type RenderTextOptions } from './presentation/text/render-text.js';
export {
  renderReport,
  ReportView,
  REPORT_CSS,
  buildReportView,
  type ReportViewProps,
  type ReportViewModel,
} from './presentation/html/render-report.js';
export { parseRelatedTls, STALE_AFTER_MS, type RelatedTlsIndex, type RelatedTlsProbe } from './rules/related-tls.js';
export { validateObservation, observationSchemaDocument, type SchemaValidation } from './model/observation-schema.js';
export { metricsOf, type CheckMetric } from './presentation/metrics.js';
export { publicTargetsOnly, nonPublicReason, type TargetPolicy } from './collect/target-policy.js';
export { buildApp, type AppOptions } from './server/app.js';
export {
  parseOptions,
  OPTION_FIELDS,
  DEFAULT_HELO_NAME,
  DEFAULT_PROBE_ADDRESS,
  type CheckOptions,
} from './config/options.js';
export {
  parseResolver,
  parsePort,
  parseEgressCanaries,
  DEFAULT_EGRESS_CANARIES,
  SMTP_PORT,
  type EgressCanary,
  type ResolverAddress,
} from './config/settings.js';
export { defaultCollectDeadlineMs } from './model/limits.js';
export { verdictStatus, verdictSummary, type VerdictSummary } from './presentation/view-model.js';
export { renderNagios, nagiosPerfdata } from './presentation/nagios.js';
export { probeExposition, PROMETHEUS_CONTENT_TYPE } from './presentation/prometheus.js';
export { parseMxHosts } from './config/mx-hosts.js';
export { domainFromInput, type DomainInput } from './config/domain-input.js';
export { startDemoWorld, DEMO_DOMAINS, type DemoWorld } from './demo/demo-world.js';
export { createDnsClient, type DnsClient } from './collect/dns/dns-client.js';
export {
  createDnsCache,
  withDnsCache,
  type DnsCache,
  type DnsCacheOptions,
  type DnsCacheStats,
} from './collect/dns/dns-cache.js';
export {
  Status,
  STATUS_NAMES,
  worstStatus,
  exitCodeFor,
  severity,
  StatusSchema,
  CheckStateSchema,
  type CheckState,
  type StatusValue,
} from './model/status.js';
export { CheckerError, OptionError, type ErrorCode, type CheckerErrorDetails } from './model/errors.js';
export * from './model/observation.js';
export * from './model/protocol.js';
