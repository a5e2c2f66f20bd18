/**
 * Deployment settings: how this checker instance reaches the world (which
 * DNS resolver, which SMTP port). They come from flags or the environment,
 * never from a per-check request.
 */
import { isIP } from 'node:net';
import { CheckerError } from '../model/errors.js';
import { quote } from '../model/text.js';
import { validateHostname } from './validate.js';

export const SMTP_PORT = 25;
const DNS_PORT = 53;

export interface ResolverAddress {
  host: string;
  port: number;
}

/** Parse "IP", "IP:PORT", "[v6]" or "[v6]:PORT" into a resolver address. */
export function parseResolver(input: string): ResolverAddress {
  const s = input.trim();
  let host = s;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (isIP(s) !== 6) {
    const i = s.lastIndexOf(':');
    if (i !== -1) {
      host = s.slice(0, i);
      portText = s.slice(i + 1);
    }
  }
  if (isIP(host) === 0)
    throw new CheckerError(
      'setting.invalid',
      `Resolver ${quote(input)} is not an IP address (expected IP or IP:PORT).`,
    );
  const port = portText === undefined ? DNS_PORT : parsePort(portText, 'Resolver port');
  return { host, port };
}

/** The "host:port" spelling node:dns setServers() expects. */
export function resolverServerString(r: ResolverAddress): string {
  return isIP(r.host) === 6 ? `[${r.host}]:${r.port}` : `${r.host}:${r.port}`;
}

export function parsePort(input: string | number, what = 'Port'): number {
  const n = typeof input === 'number' ? input : /^\d+$/.test(input.trim()) ? Number(input) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new CheckerError(
      'setting.invalid',
      `${what} must be a number between 1 and 65535, got ${quote(String(input))}.`,
    );
  }
  return n;
}

/** Where the egress check dials (see EGRESS_CANARIES). */
export interface EgressCanary {
  /** A host name (resolved through the collection's own resolver) or an address. */
  host: string;
  port: number;
}

/**
 * The default egress canaries: the inbound MX hosts of three of the largest
 * mailbox providers, which accept TCP on port 25 from anywhere. Names, never
 * addresses: their addresses change, and a name resolves through the
 * collection's own resolver, so a test resolver keeps the check on loopback.
 */
export const DEFAULT_EGRESS_CANARIES: readonly EgressCanary[] = Object.freeze([
  { host: 'gmail-smtp-in.l.google.com', port: SMTP_PORT },
  { host: 'mta5.am0.yahoodns.net', port: SMTP_PORT },
  { host: 'outlook-com.olc.protection.outlook.com', port: SMTP_PORT },
]);

/** The spelling that switches the egress check off. */
export const NO_EGRESS_CANARY = 'none';

/**
 * Parse the egress canary setting: "none", or a comma-separated list of
 * HOST[:PORT] (a host name, an IPv4 address, or an IPv6 address in
 * brackets; port 25 when absent).
 */
export function parseEgressCanaries(input: string): EgressCanary[] {
  const s = input.trim();
  if (s.toLowerCase() === NO_EGRESS_CANARY) return [];
  const items = s.split(',').map((x) => x.trim());
  if (items.some((x) => x === ''))
    throw new CheckerError(
      'setting.invalid',
      `Egress canary ${quote(input)} is empty or has an empty item: give HOST[:PORT], a comma-separated list, or "none".`,
    );
  return items.map(parseEgressCanary);
}

/**
 * HOST[:PORT] as people write it: `mx.example:2525`, `192.0.2.1:25`,
 * `[2001:db8::1]:25`, or a bare IPv6 address (its colons are no port). The
 * parts as written; the caller validates the host and the port.
 */
export function splitHostPort(item: string): { host: string; portText: string | undefined; bracketed: boolean } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(item);
  if (bracketed) return { host: bracketed[1]!, portText: bracketed[2], bracketed: true };
  const i = isIP(item) === 6 ? -1 : item.lastIndexOf(':');
  return i === -1
    ? { host: item, portText: undefined, bracketed: false }
    : { host: item.slice(0, i), portText: item.slice(i + 1), bracketed: false };
}

function parseEgressCanary(item: string): EgressCanary {
  const { host, portText, bracketed } = splitHostPort(item);
  const port = portText === undefined ? SMTP_PORT : parsePort(portText, 'Egress canary port');
  if (isIP(host) !== 0) return { host, port };
  if (bracketed)
    throw new CheckerError('setting.invalid', `Egress canary ${quote(item)}: ${quote(host)} is not an IPv6 address.`);
  const name = validateHostname(host);
  if (!name.ok) throw new CheckerError('setting.invalid', `Egress canary ${quote(item)}: the host ${name.reason}.`);
  return { host: name.value, port };
}
