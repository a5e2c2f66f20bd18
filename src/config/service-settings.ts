/**
 * Deployment settings of `checker-smtp serve`: where it listens, how it
 * reaches the world, and the guards of a hosted deployment. Each comes from a
 * flag or its environment variable (flags win); none from a request.
 */
import { CheckerError } from '../model/errors.js';
import {
  DEFAULT_MAX_ENDPOINTS,
  DEFAULT_QUEUE_WAIT_S,
  MAX_CONNECTIONS_PER_ADDRESS,
  MAX_ENDPOINTS_CEILING,
  MAX_OPEN_CONNECTIONS,
} from '../model/limits.js';
import {
  DEFAULT_EGRESS_CANARIES,
  parseEgressCanaries,
  parsePort,
  parseResolver,
  SMTP_PORT,
  type EgressCanary,
  type ResolverAddress,
} from './settings.js';
import { quote } from '../model/text.js';
import { validateHostname } from './validate.js';
import { resolveHttpSettings, type HttpFlags, type HttpSettings } from './http-settings.js';

export const DEFAULT_LISTEN = ':8080';
/** Bounded drain on SIGTERM: a collect takes one endpoint budget (12 s default); 30 s lets typical work finish. */
export const DEFAULT_DRAIN_TIMEOUT_S = 30;
/** Rate-limit window: per client, per minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;
/**
 * Checks (POST /collect, POST /check) one client may have running at once;
 * more are refused at once (429). A person runs one; a host's scheduler a
 * handful. Beyond that, one address is filling the connection gate.
 */
export const DEFAULT_MAX_CHECKS_PER_CLIENT = 8;

export interface ListenAddress {
  host: string;
  port: number;
}

export interface ServiceSettings {
  listen: ListenAddress;
  resolver: ResolverAddress | null;
  smtpPort: number;
  /** Where the egress check dials when no endpoint of a domain answers; empty: off. */
  egressCanary: readonly EgressCanary[];
  /** Required on every route but /health when set. */
  token: string | null;
  /**
   * Endpoints probed per client per minute (a check costs one per endpoint it
   * dials, at least one; every other work request one); null: unlimited.
   */
  rateLimitPerMinute: number | null;
  /** Refuse non-public MX addresses on every route (default on; --allow-private-targets turns it off). */
  refusePrivateTargets: boolean;
  /** Endpoints probed at most per check; the rest are recorded as not probed. */
  maxEndpoints: number;
  /** Checks one client may have running at once; more are refused with 429. */
  maxChecksPerClient: number;
  /** Longest a probe waits for a connection slot, seconds; then it is recorded as not probed. */
  queueWaitS: number;
  /** The /check page honours a relay-probe recipient typed by the visitor (default off: the default recipient). */
  allowProbeAddress: boolean;
  /**
   * GET /check?domain=… runs the check (default off: the link shows the form
   * filled in, and the visitor presses the button). Off because browsers,
   * chat previews and mail scanners fetch links on their own: a GET that
   * dials port 25 would let anyone who posts a link spend this checker's
   * connections and budget.
   */
  checkOnGet: boolean;
  /** Only these domains (and their subdomains) may be checked; null: any. */
  allowedDomains: string[] | null;
  maxConnections: number;
  connectionsPerAddress: number;
  drainTimeoutS: number;
  /** Client-facing HTTP bounds, trusted proxies and the collect deadline (http-settings.ts). */
  http: HttpSettings;
}

export const SETTING_ENV = {
  listen: 'CHECKER_SMTP_LISTEN',
  resolver: 'CHECKER_SMTP_RESOLVER',
  port: 'CHECKER_SMTP_PORT',
  egressCanary: 'CHECKER_SMTP_EGRESS_CANARY',
  token: 'CHECKER_SMTP_TOKEN',
  rateLimit: 'CHECKER_SMTP_RATE_LIMIT',
  allowPrivateTargets: 'CHECKER_SMTP_ALLOW_PRIVATE_TARGETS',
  refusePrivateTargets: 'CHECKER_SMTP_REFUSE_PRIVATE_TARGETS',
  allowedDomains: 'CHECKER_SMTP_ALLOWED_DOMAINS',
  maxConnections: 'CHECKER_SMTP_MAX_CONNECTIONS',
  maxEndpoints: 'CHECKER_SMTP_MAX_ENDPOINTS',
  maxChecksPerClient: 'CHECKER_SMTP_MAX_CHECKS_PER_CLIENT',
  queueWait: 'CHECKER_SMTP_QUEUE_WAIT',
  allowProbeAddress: 'CHECKER_SMTP_ALLOW_PROBE_ADDRESS',
  checkOnGet: 'CHECKER_SMTP_CHECK_ON_GET',
  connectionsPerAddress: 'CHECKER_SMTP_CONNECTIONS_PER_ADDRESS',
  drainTimeout: 'CHECKER_SMTP_DRAIN_TIMEOUT',
} as const;

function settingError(message: string): never {
  throw new CheckerError('setting.invalid', message);
}

/** ":8080" (all interfaces), "127.0.0.1:8080", "[::1]:8080", "localhost:8080". */
export function parseListen(input: string): ListenAddress {
  const s = input.trim();
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s);
  if (!m)
    settingError(`Listen address ${quote(input)} must be HOST:PORT or :PORT (for example :8080 or 127.0.0.1:8080).`);
  const host = m[1] ?? m[2] ?? '';
  // Port 0 lets the system pick (tests, side-by-side instances); the "ready" log line names the address.
  const port = m[3] === '0' ? 0 : parsePort(m[3]!, 'Listen port');
  return { host: host === '' ? '::' : host, port };
}

function positiveInteger(input: string, what: string): number {
  if (!/^\s*\d+\s*$/.test(input) || Number(input) < 1)
    settingError(`${what} must be a positive whole number, got ${quote(input)}.`);
  return Number(input);
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

function flag(input: string | undefined, what: string): boolean {
  if (input === undefined) return false;
  const v = input.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return settingError(`${what} must be true or false, got ${quote(input)}.`);
}

function domains(input: string): string[] {
  const list = input.split(/[\s,]+/).filter(Boolean);
  if (list.length === 0)
    settingError('The allowed-domains list is empty: give at least one domain, or leave the setting out.');
  return list.map((d) => {
    const v = validateHostname(d);
    if (!v.ok) settingError(`Allowed domain ${quote(d)} ${v.reason}.`);
    return v.value;
  });
}

/** Raw values as given on the command line; undefined falls back to the environment, then the default. */
/** Flags as parseArgs hands them over: absent or undefined when not given. */
export interface ServiceFlags extends HttpFlags {
  listen?: string | undefined;
  resolver?: string | undefined;
  port?: string | undefined;
  egressCanary?: string | undefined;
  token?: string | undefined;
  rateLimit?: string | undefined;
  allowPrivateTargets?: boolean | undefined;
  refusePrivateTargets?: boolean | undefined;
  allowedDomains?: string | undefined;
  maxConnections?: string | undefined;
  maxEndpoints?: string | undefined;
  maxChecksPerClient?: string | undefined;
  queueWait?: string | undefined;
  allowProbeAddress?: boolean | undefined;
  checkOnGet?: boolean | undefined;
  connectionsPerAddress?: string | undefined;
  drainTimeout?: string | undefined;
}

export function resolveServiceSettings(flags: ServiceFlags, env: NodeJS.ProcessEnv): ServiceSettings {
  const pick = (key: keyof typeof SETTING_ENV, value: string | undefined) => value ?? env[SETTING_ENV[key]];
  const listen = pick('listen', flags.listen) ?? DEFAULT_LISTEN;
  const resolver = pick('resolver', flags.resolver);
  const port = pick('port', flags.port);
  const canary = pick('egressCanary', flags.egressCanary);
  const token = pick('token', flags.token);
  if (token !== undefined && token.trim() === '')
    settingError('The access token is empty: give a token, or leave the setting out.');
  const rate = pick('rateLimit', flags.rateLimit);
  const allowed = pick('allowedDomains', flags.allowedDomains);
  const maxConnections = pick('maxConnections', flags.maxConnections);
  const perAddress = pick('connectionsPerAddress', flags.connectionsPerAddress);
  const drain = pick('drainTimeout', flags.drainTimeout);
  const maxEndpointsRaw = pick('maxEndpoints', flags.maxEndpoints);
  const maxEndpoints =
    maxEndpointsRaw === undefined || maxEndpointsRaw === ''
      ? DEFAULT_MAX_ENDPOINTS
      : positiveInteger(maxEndpointsRaw, 'The endpoint cap (endpoints per check)');
  if (maxEndpoints > MAX_ENDPOINTS_CEILING)
    settingError(`The endpoint cap must be at most ${MAX_ENDPOINTS_CEILING}, got ${quote(String(maxEndpoints))}.`);
  const checksRaw = pick('maxChecksPerClient', flags.maxChecksPerClient);
  const queueWaitRaw = pick('queueWait', flags.queueWait);
  const rateLimitPerMinute =
    rate === undefined || rate === ''
      ? null
      : positiveInteger(rate, 'The rate limit (endpoints probed per minute per client)');
  if (rateLimitPerMinute !== null && rateLimitPerMinute < maxEndpoints)
    settingError(
      `The rate limit (${rateLimitPerMinute} endpoints per minute per client) is below the endpoint cap (${maxEndpoints} per check): a check of a large domain could never run. Raise the rate limit or lower the cap (--max-endpoints).`,
    );
  const allowPrivate =
    flags.allowPrivateTargets || flag(env[SETTING_ENV.allowPrivateTargets], SETTING_ENV.allowPrivateTargets);
  // Refusing is the default on every route now; the flag stays accepted for deployments that set it.
  const refusePrivate =
    flags.refusePrivateTargets || flag(env[SETTING_ENV.refusePrivateTargets], SETTING_ENV.refusePrivateTargets);
  if (allowPrivate && refusePrivate)
    settingError('Allowing and refusing private targets at once makes no sense: pick one.');
  return {
    listen: parseListen(listen),
    resolver: resolver === undefined || resolver === '' ? null : parseResolver(resolver),
    smtpPort: port === undefined || port === '' ? SMTP_PORT : parsePort(port, 'SMTP port'),
    egressCanary: canary === undefined || canary === '' ? DEFAULT_EGRESS_CANARIES : parseEgressCanaries(canary),
    token: token?.trim() ?? null,
    rateLimitPerMinute,
    refusePrivateTargets: !allowPrivate,
    maxEndpoints,
    maxChecksPerClient:
      checksRaw === undefined || checksRaw === ''
        ? DEFAULT_MAX_CHECKS_PER_CLIENT
        : positiveInteger(checksRaw, 'The per-client bound on checks running at once'),
    queueWaitS:
      queueWaitRaw === undefined || queueWaitRaw === ''
        ? DEFAULT_QUEUE_WAIT_S
        : positiveInteger(queueWaitRaw, 'The longest wait for a connection slot (seconds)'),
    allowProbeAddress:
      flags.allowProbeAddress || flag(env[SETTING_ENV.allowProbeAddress], SETTING_ENV.allowProbeAddress),
    checkOnGet: flags.checkOnGet || flag(env[SETTING_ENV.checkOnGet], SETTING_ENV.checkOnGet),
    allowedDomains: allowed === undefined || allowed === '' ? null : domains(allowed),
    maxConnections:
      maxConnections === undefined ? MAX_OPEN_CONNECTIONS : positiveInteger(maxConnections, 'The connection bound'),
    connectionsPerAddress:
      perAddress === undefined
        ? MAX_CONNECTIONS_PER_ADDRESS
        : positiveInteger(perAddress, 'The per-address connection bound'),
    drainTimeoutS:
      drain === undefined ? DEFAULT_DRAIN_TIMEOUT_S : positiveInteger(drain, 'The drain timeout (seconds)'),
    http: resolveHttpSettings(flags, env),
  };
}
