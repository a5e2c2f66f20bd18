/**
 * The HTTP side of `checker-smtp serve`: how long a client may take to send
 * a request, how many connections it may hold, which proxies may speak for
 * it, and how long a collect may take. Each comes from a flag or its
 * environment variable (flags win), with a default from src/model/limits.ts.
 */
import { isIP } from 'node:net';
import { CheckerError } from '../model/errors.js';
import {
  HTTP_HEADERS_TIMEOUT_S,
  HTTP_IDLE_MARGIN_S,
  HTTP_KEEP_ALIVE_TIMEOUT_S,
  HTTP_MAX_CONNECTIONS,
  HTTP_MAX_CONNECTIONS_PER_CLIENT,
  HTTP_MAX_REQUESTS_PER_SOCKET,
  HTTP_REQUEST_TIMEOUT_S,
  SERVICE_COLLECT_DEADLINE_S,
} from '../model/limits.js';
import { quote } from '../model/text.js';

export interface HttpSettings {
  /** Time to receive the request headers, from the first byte of the connection or of the request. */
  headersTimeoutMs: number;
  /** Time to receive the whole request, body included. */
  requestTimeoutMs: number;
  /** Idle time allowed between two requests on a keep-alive connection. */
  keepAliveTimeoutMs: number;
  /** Silence on a socket, both ways, after which it is closed (a client that stopped reading). */
  idleTimeoutMs: number;
  maxRequestsPerSocket: number;
  /** Client connections open at once, all clients. */
  maxConnections: number;
  /** Client connections open at once per client (IPv4 address, IPv6 /64); trusted proxies are exempt. */
  maxConnectionsPerClient: number;
  /**
   * Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed
   * (addresses, CIDR ranges, or loopback / linklocal / uniquelocal); null:
   * none, the connecting address is the client.
   */
  trustProxy: string[] | null;
  /** Deadline of one collect in the service, whatever its options. */
  collectDeadlineMs: number;
}

export const HTTP_SETTING_ENV = {
  headersTimeout: 'CHECKER_SMTP_HEADERS_TIMEOUT',
  requestTimeout: 'CHECKER_SMTP_REQUEST_TIMEOUT',
  keepAliveTimeout: 'CHECKER_SMTP_KEEP_ALIVE_TIMEOUT',
  maxHttpConnections: 'CHECKER_SMTP_MAX_HTTP_CONNECTIONS',
  httpConnectionsPerClient: 'CHECKER_SMTP_HTTP_CONNECTIONS_PER_CLIENT',
  trustProxy: 'CHECKER_SMTP_TRUST_PROXY',
  collectDeadline: 'CHECKER_SMTP_COLLECT_DEADLINE',
} as const;

/** Flags as parseArgs hands them over: absent or undefined when not given. */
export interface HttpFlags {
  headersTimeout?: string | undefined;
  requestTimeout?: string | undefined;
  keepAliveTimeout?: string | undefined;
  maxHttpConnections?: string | undefined;
  httpConnectionsPerClient?: string | undefined;
  trustProxy?: string | undefined;
  collectDeadline?: string | undefined;
}

/** Named ranges proxy-addr (fastify's trustProxy) knows. */
export const TRUST_PROXY_KEYWORDS = ['loopback', 'linklocal', 'uniquelocal'] as const;

function settingError(message: string): never {
  throw new CheckerError('setting.invalid', message);
}

function wholeNumber(input: string, what: string): number {
  if (!/^\s*\d+\s*$/.test(input) || Number(input) < 1)
    settingError(`${what} must be a positive whole number, got ${quote(input)}.`);
  return Number(input);
}

/** "10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8", or a keyword; anything else stops the service at start. */
export function parseTrustProxy(input: string): string[] {
  const list = input.split(/[\s,]+/).filter(Boolean);
  if (list.length === 0)
    settingError('The trusted proxy list is empty: give addresses or ranges, or leave the setting out.');
  for (const entry of list) {
    if ((TRUST_PROXY_KEYWORDS as readonly string[]).includes(entry)) continue;
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || rest.length > 0)
      settingError(
        `Trusted proxy ${quote(entry)} is not an IP address, a CIDR range (10.0.0.0/8) or one of ${TRUST_PROXY_KEYWORDS.join(', ')}.`,
      );
  }
  return list;
}

export function resolveHttpSettings(flags: HttpFlags, env: NodeJS.ProcessEnv): HttpSettings {
  const pick = (key: keyof typeof HTTP_SETTING_ENV, value: string | undefined) => {
    const v = value ?? env[HTTP_SETTING_ENV[key]];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const seconds = (key: keyof typeof HTTP_SETTING_ENV, value: string | undefined, fallback: number, what: string) => {
    const v = pick(key, value);
    return (v === undefined ? fallback : wholeNumber(v, what)) * 1000;
  };
  const count = (key: keyof typeof HTTP_SETTING_ENV, value: string | undefined, fallback: number, what: string) => {
    const v = pick(key, value);
    return v === undefined ? fallback : wholeNumber(v, what);
  };
  const headersTimeoutMs = seconds(
    'headersTimeout',
    flags.headersTimeout,
    HTTP_HEADERS_TIMEOUT_S,
    'The headers timeout (seconds)',
  );
  const requestTimeoutMs = seconds(
    'requestTimeout',
    flags.requestTimeout,
    HTTP_REQUEST_TIMEOUT_S,
    'The request timeout (seconds)',
  );
  // Node refuses a headers deadline past the request's: the request includes its headers.
  if (headersTimeoutMs > requestTimeoutMs)
    settingError(
      `The headers timeout (${headersTimeoutMs / 1000} s) must not exceed the request timeout (${requestTimeoutMs / 1000} s): the request includes its headers.`,
    );
  const collectDeadlineMs = seconds(
    'collectDeadline',
    flags.collectDeadline,
    SERVICE_COLLECT_DEADLINE_S,
    'The collect deadline (seconds)',
  );
  const maxConnections = count(
    'maxHttpConnections',
    flags.maxHttpConnections,
    HTTP_MAX_CONNECTIONS,
    'The HTTP connection bound',
  );
  const trust = pick('trustProxy', flags.trustProxy);
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: seconds(
      'keepAliveTimeout',
      flags.keepAliveTimeout,
      HTTP_KEEP_ALIVE_TIMEOUT_S,
      'The keep-alive timeout (seconds)',
    ),
    idleTimeoutMs: collectDeadlineMs + HTTP_IDLE_MARGIN_S * 1000,
    maxRequestsPerSocket: HTTP_MAX_REQUESTS_PER_SOCKET,
    maxConnections,
    maxConnectionsPerClient: Math.min(
      maxConnections,
      count(
        'httpConnectionsPerClient',
        flags.httpConnectionsPerClient,
        HTTP_MAX_CONNECTIONS_PER_CLIENT,
        'The per-client HTTP connection bound',
      ),
    ),
    trustProxy: trust === undefined ? null : parseTrustProxy(trust),
    collectDeadlineMs,
  };
}
