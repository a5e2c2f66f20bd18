/**
 * Collection as the service runs it, for /collect and the /check page:
 * options as the host or form sent them, the MX service applied (the zone
 * becomes the domain, its MX records the plan), and every bound of a hosted
 * deployment enforced before anything is sent: the allow-list (the domain
 * and every MX name), the target policy, the endpoint cap, the client's
 * checks at once and its budget of endpoints. The check stops, and what it
 * did not reach is recorded as cut, when the client goes away.
 */
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { collect, type ProgressEvent } from '../collect/collect.js';
import type { MxNamePolicy } from '../collect/dns/posture.js';
import { parseMxService } from '../config/mx-service.js';
import { parseNumber, parseOptions } from '../config/options.js';
import type { MxRecord } from '../model/mx-record.js';
import { DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S, MIN_TIMEOUT_S, defaultCollectDeadlineMs } from '../model/limits.js';
import { isWithinDomain, validateHostname } from '../config/validate.js';
import { quote } from '../model/text.js';
import { probesToSkip } from '../rules/index.js';
import type { Observation } from '../model/observation.js';
import { HttpError } from './http-error.js';
import { overBudget } from './guards/rate-limit.js';
import { clientKey } from './client-key.js';
import type { ServiceDeps } from './service-deps.js';

/**
 * Retry-After of a check refused because its client already runs the most
 * allowed: about one check's time (the default endpoint budget is 12 s).
 */
const BUSY_CLIENT_RETRY_AFTER_S = 10;

export interface ServiceCollect {
  /** Options as the host or the form sent them. */
  options: Record<string, unknown>;
  enabledRules?: Record<string, boolean> | undefined;
  request: FastifyRequest;
  reply: FastifyReply;
  /**
   * The /check page: anyone may use it, so the relay-probe recipient is the
   * default unless the deployment lets visitors choose (--allow-probe-address).
   */
  page: boolean;
  /** A tighter deadline than the service's, in milliseconds (a Prometheus scrape's timeout). */
  deadlineMs?: number;
  /**
   * MX hosts the visitor named (the page's --mx field, parsed): probed instead
   * of a lookup. A host name among them must be in the allow-list, as the
   * domain; an IP address is judged by the target policy when it is dialled.
   */
  mx?: MxRecord[] | undefined;
}

/** A check judged admissible and counted against its client: run it once, or release it. */
export interface PreparedCollect {
  /** The domain as the check will probe it. */
  domain: string;
  run(onProgress?: (event: ProgressEvent) => void): Promise<Observation>;
  /** Gives the client's check slot back without running (the caller gave up before the run). */
  release(): void;
}

function within(deps: ServiceDeps, name: string): boolean {
  const allowed = deps.settings.allowedDomains;
  return !allowed || allowed.some((a) => isWithinDomain(name, a));
}

/** Refuse domains outside the allow-list before anything is sent. */
function checkAllowed(deps: ServiceDeps, domain: string): void {
  if (!within(deps, domain)) {
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

/** MX names (looked up, or given) pass the same allow-list as the domain: outside it, recorded as not probed. */
function mxNamePolicy(deps: ServiceDeps): MxNamePolicy | undefined {
  if (!deps.settings.allowedDomains) return undefined;
  // An IP address is no name to allow: the target policy judges it when it is dialled.
  return (name) =>
    isIP(name) !== 0 || within(deps, name)
      ? null
      : `not probed: ${name} is outside this checker's list of allowed domains`;
}

export async function runCollect(deps: ServiceDeps, job: ServiceCollect): Promise<Observation> {
  return prepareCollect(deps, job).run();
}

/**
 * Everything that may refuse a check before it starts, in the order a
 * refusal is cheapest: the options, the allow-list (domain, service and
 * given MX names), the client's checks at once. The /check page streams its
 * answer: what is refused here still gets its own status code.
 */
export function prepareCollect(deps: ServiceDeps, job: ServiceCollect): PreparedCollect {
  const { request, reply, enabledRules } = job;
  const { settings } = deps;
  const { test_probe_address: _chosen, ...withoutChosen } = job.options;
  const raw = job.page && !settings.allowProbeAddress ? withoutChosen : job.options;
  const domain = typeof raw['domain'] === 'string' ? validateHostname(raw['domain'].trim()) : null;
  const service = domain?.ok ? parseMxService(raw['service'], domain.value) : null;
  const rawOptions = service ? { ...raw, domain: service.zone } : raw;
  if (domain?.ok) checkAllowed(deps, service?.zone ?? domain.value);
  // The host's payload names the MX hosts itself: one outside the allow-list refuses the request, as the domain would.
  const outside = service?.records.find((r) => !within(deps, r.exchange));
  if (outside) {
    throw new HttpError(
      'http.forbidden_domain',
      `MX target ${quote(outside.exchange)} of the service is not in this checker's list of allowed domains.`,
    );
  }
  // A deployment limited to some domains probes only their hosts: an IP address given with --mx matches no
  // domain of the list, so it is refused too (else any public address could be dialled past the allow-list).
  const givenOutside = job.mx?.find((r) => !within(deps, r.exchange));
  if (givenOutside) {
    throw new HttpError(
      'http.forbidden_domain',
      isIP(givenOutside.exchange) !== 0
        ? `MX host ${quote(givenOutside.exchange)} is an IP address: this checker only probes hosts named within its list of allowed domains.`
        : `MX host ${quote(givenOutside.exchange)} is not in this checker's list of allowed domains.`,
    );
  }
  // Bad options are refused here too (collect() would, but only once the page has started its answer).
  const options = parseOptions(rawOptions);
  const mx = job.mx && job.mx.length > 0 ? { mx: job.mx, mxSource: 'given' as const } : null;

  // One client is an IPv4 address or an IPv6 /64, as for every per-client bound (client-key.ts).
  const client = clientKey(request.ip);
  if (!deps.checks.begin(client)) {
    reply.header('retry-after', String(BUSY_CLIENT_RETRY_AFTER_S));
    throw new HttpError(
      'http.rate_limited',
      `Too many checks at once: this client already runs ${deps.checks.perClient}, the most this checker allows; retry when one has finished.`,
    );
  }
  let settled = false;
  let ran = false;
  const release = () => {
    if (settled) return;
    settled = true;
    deps.checks.end(client);
  };
  const run = async (onProgress?: (event: ProgressEvent) => void): Promise<Observation> => {
    if (ran || settled) throw new Error('A prepared check runs once.');
    ran = true;
    // The caller leaving before the answer cancels the check: nothing more is dialled for no one.
    const left = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) left.abort();
    };
    reply.raw.once('close', onClose);
    // Closed before the run began (a page that streamed its first part to a client already gone).
    if (reply.raw.destroyed) left.abort();
    const { budget } = deps;
    const nameRule = mxNamePolicy(deps);
    try {
      const observation = await collect(rawOptions, {
        port: settings.smtpPort,
        dns: deps.dns,
        trustStore: deps.trustStore,
        gate: deps.gate,
        egressCanary: settings.egressCanary,
        deadlineMs: Math.min(serviceDeadlineMs(raw, settings.http.collectDeadlineMs), job.deadlineMs ?? Infinity),
        // Cut when the caller leaves, or when a shutdown's drain deadline passes.
        signal: AbortSignal.any([left.signal, deps.shutdown]),
        maxEndpoints: settings.maxEndpoints,
        maxQueueWaitMs: settings.queueWaitS * 1000,
        ...(service && service.records.length > 0 ? { mx: service.records } : {}),
        ...(mx ?? {}),
        ...(enabledRules ? { skipProbes: probesToSkip(enabledRules) } : {}),
        ...(deps.targetPolicy ? { targetPolicy: deps.targetPolicy } : {}),
        ...(nameRule ? { mxNamePolicy: nameRule } : {}),
        ...(onProgress ? { onProgress } : {}),
        // The request paid one unit on arrival: the first endpoint. The others are paid here, before any is dialled.
        ...(budget
          ? {
              admit: (endpoints: number) => {
                if (endpoints <= 1) return;
                const charged = budget.charge(client, endpoints - 1);
                if (!charged.ok)
                  throw overBudget(
                    reply,
                    budget,
                    charged.retryAfterS,
                    `this check would probe ${endpoints} endpoints and this client has ${charged.left + 1} left`,
                  );
              },
            }
          : {}),
      });
      deps.metrics.collected(observation);
      return observation;
    } finally {
      reply.raw.off('close', onClose);
      release();
    }
  };
  return { domain: options.domain, run, release };
}
