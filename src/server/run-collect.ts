/**
 * Collection as the service runs it, for /collect and the /check page:
 * options as the host or form sent them, the MX service applied (the zone
 * becomes the domain, its MX records the plan), the deployment's allow-list
 * and target policy enforced before anything is sent.
 */
import { collect } from '../collect/collect.js';
import { publicTargetsOnly } from '../collect/target-policy.js';
import { parseMxService } from '../config/mx-service.js';
import { parseNumber } from '../config/options.js';
import { DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S, MIN_TIMEOUT_S, defaultCollectDeadlineMs } from '../model/limits.js';
import { isWithinDomain, validateHostname } from '../config/validate.js';
import { quote } from '../model/text.js';
import { probesToSkip } from '../rules/index.js';
import type { Observation } from '../model/observation.js';
import { HttpError } from './http-error.js';
import type { ServiceDeps } from './service-deps.js';

/** Refuse domains outside the allow-list before anything is sent. */
function checkAllowed(deps: ServiceDeps, domain: string): void {
  const allowed = deps.settings.allowedDomains;
  if (allowed && !allowed.some((a) => isWithinDomain(domain, a))) {
    throw new HttpError(
      'http.forbidden_domain',
      `Domain ${quote(domain)} is not in this checker's list of allowed domains.`,
    );
  }
}

/**
 * The deadline of a collect in the service: its own (two endpoint budgets +
 * DNS), but never past the service's (--collect-deadline, 100 s), which
 * answers before happyDomain's client gives up (120 s) whatever the options.
 */
export function serviceDeadlineMs(raw: Record<string, unknown>, serviceDeadline: number): number {
  let timeout = DEFAULT_TIMEOUT_S;
  try {
    timeout = parseNumber('timeout', raw['timeout'], DEFAULT_TIMEOUT_S, MIN_TIMEOUT_S, MAX_TIMEOUT_S);
  } catch {
    // collect() refuses the option with its own message, before any connection.
  }
  return Math.min(defaultCollectDeadlineMs(timeout), serviceDeadline);
}

export async function runCollect(
  deps: ServiceDeps,
  raw: Record<string, unknown>,
  enabledRules: Record<string, boolean> | undefined,
  refusePrivate: boolean,
): Promise<Observation> {
  const domain = typeof raw['domain'] === 'string' ? validateHostname(raw['domain'].trim()) : null;
  const service = domain?.ok ? parseMxService(raw['service'], domain.value) : null;
  const rawOptions = service ? { ...raw, domain: service.zone } : raw;
  if (domain?.ok) checkAllowed(deps, service?.zone ?? domain.value);
  return collect(rawOptions, {
    port: deps.settings.smtpPort,
    dns: deps.dns,
    trustStore: deps.trustStore,
    gate: deps.gate,
    egressCanary: deps.settings.egressCanary,
    deadlineMs: serviceDeadlineMs(raw, deps.settings.http.collectDeadlineMs),
    // Aborted when shutdown's drain deadline passes: what is left is cut, answered, and the process exits.
    signal: deps.shutdown,
    ...(service && service.records.length > 0 ? { mx: service.records } : {}),
    ...(enabledRules ? { skipProbes: probesToSkip(enabledRules) } : {}),
    ...(refusePrivate ? { targetPolicy: publicTargetsOnly } : {}),
  });
}
