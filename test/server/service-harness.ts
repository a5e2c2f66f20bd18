/**
 * In-process service under test: the real app (fastify inject, no listening
 * socket) wired to the in-process DNS server and loopback SMTP peers.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../src/server/app.js';
import { resolveServiceSettings, type ServiceFlags } from '../../src/config/service-settings.js';
import { createDnsClient } from '../../src/collect/dns/dns-client.js';
import { parseResolver } from '../../src/config/settings.js';
import { testCa } from '../peers/certs.js';
import type { DnsServer } from '../peers/dns-server.js';

/** Options every test collect uses: short budget, loopback peers. */
export const FAST = { timeout: 3 };

export async function startService(
  dns: DnsServer,
  smtpPort: number,
  flags: ServiceFlags = {},
  extra: Pick<AppOptions, 'gate'> = {},
): Promise<FastifyInstance> {
  // Tests use loopback peers: the /check page's target policy is switched off explicitly unless a test wants it.
  const settings = resolveServiceSettings(
    { allowPrivateTargets: !flags.refusePrivateTargets, ...flags, port: String(smtpPort) },
    {},
  );
  return buildApp({
    settings,
    dns: createDnsClient({ resolver: parseResolver(dns.address) }),
    trustStore: [testCa().cert],
    ...extra,
  });
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
