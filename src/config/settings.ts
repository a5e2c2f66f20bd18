/**
 * Deployment settings: how this checker instance reaches the world (which
 * DNS resolver, which SMTP port). They come from flags or the environment,
 * never from a per-check request.
 */
import { isIP } from 'node:net';
import { CheckerError } from '../model/errors.js';
import { quote } from '../model/text.js';

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
