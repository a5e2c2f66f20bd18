/**
 * checker-smtp as a library: collect (I/O) and evaluate (pure), plus the
 * observation and state types they exchange.
 */
export { collect, applyEnabledRules, planEndpoints, type CollectSettings, type ProgressEvent } from './collect.js';
export { evaluate, RULES } from './rules/index.js';
export { parseOptions, OPTION_FIELDS, DEFAULT_HELO_NAME, DEFAULT_PROBE_ADDRESS, type CheckOptions } from './options.js';
export { parseResolver, parsePort, SMTP_PORT, type ResolverAddress } from './settings.js';
export { createDnsClient, type DnsClient } from './dns/dns-client.js';
export { Status, STATUS_NAMES, worstStatus, exitCodeFor, severity, type CheckState, type StatusValue } from './status.js';
export { CheckerError, OptionError } from './errors.js';
export * from './observation.js';
