/**
 * In-process service under test: the real app (fastify inject, no listening
 * socket) wired to the in-process DNS server and loopback SMTP peers.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppOptions } from '../../src/server/app.js';
import { resolveServiceSettings, type ServiceFlags } from '../../src/config/service-settings.js';
import { createDnsClient } from '../../src/collect/dns/dns-client.js';
import { parseResolver } from '../../src/config/settings.js';
import { testCa } from '../peers/certs.js';
import type { DnsServer } from '../peers/dns-server.js';

/** Options every test collect uses: short budget, loopback peers. */
export const FAST = { timeout: 3 };

type Extra = Pick<AppOptions, 'gate' | 'dns' | 'logger' | 'present'>;

function settingsFor(flags: ServiceFlags, smtpPort?: number) {
  // Tests use loopback peers: the /check page's target policy is switched off explicitly unless a test wants it.
  return resolveServiceSettings(
    {
      allowPrivateTargets: !flags.refusePrivateTargets,
      // No test dials outside loopback: the egress check is off unless a test points it at a loopback peer.
      egressCanary: 'none',
      ...flags,
      ...(smtpPort !== undefined ? { port: String(smtpPort) } : {}),
    },
    {},
  );
}

export async function startService(
  dns: DnsServer,
  smtpPort: number,
  flags: ServiceFlags = {},
  extra: Extra = {},
): Promise<FastifyInstance> {
  return buildApp({
    settings: settingsFor(flags, smtpPort),
    dns: createDnsClient({ resolver: parseResolver(dns.address) }),
    trustStore: [testCa().cert],
    ...extra,
  });
}

/** The service for routes that send nothing anywhere (health, definition, guards that refuse first). */
export async function startBareService(flags: ServiceFlags = {}, extra: Extra = {}): Promise<FastifyInstance> {
  return buildApp({ settings: settingsFor(flags), trustStore: [testCa().cert], ...extra });
}

/** POST a JSON body (an object is serialised; a string is sent as is, to test bad JSON). */
export function postJson(
  app: FastifyInstance,
  url: string,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** Log lines of an app built with `logger: captureLog(lines)`, parsed. */
export function captureLog(lines: Record<string, unknown>[]): Record<string, unknown> {
  return {
    level: 'info',
    stream: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  };
}

/** The MX service payload as happyDomain sends it. */
export function mxService(records: [preference: number, mx: string][], subdomain = ''): Record<string, unknown> {
  return {
    _svctype: 'svcs.MXs',
    _id: 'svc-1',
    _domain: subdomain,
    _ttl: 3600,
    Service: {
      mx: records.map(([Preference, Mx]) => ({
        Hdr: { Name: '', Rrtype: 15, Class: 1, Ttl: 3600, Rdlength: 0 },
        Preference,
        Mx,
      })),
    },
  };
}
