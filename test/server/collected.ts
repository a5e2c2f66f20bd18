/**
 * A real observation for the routes that read one (/evaluate, /report):
 * collected once, through the service itself, from a healthy loopback peer.
 */
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import type { Observation } from '../../src/model/observation.js';
import { FAST, postJson, startService } from './service-harness.js';

export interface CollectedFixture {
  app: FastifyInstance;
  data: Observation;
  host: string;
  domain: string;
  port: number;
  close(): Promise<void>;
}

export async function collectedFixture(host: string, domain: string): Promise<CollectedFixture> {
  const dns: DnsServer = await startDnsServer([]);
  const peer: ScenarioPeer = await scenarios.healthy({ host, port: 0, domain, mxName: `mx.${domain}` });
  dns.set(...mailDomainRecords(domain, [{ name: `mx.${domain}`, addresses: [host] }]));
  const app = await startService(dns, peer.port);
  const res = await postJson(app, '/collect', { key: 'smtp', options: { domain, ...FAST } });
  if (res.statusCode !== 200) throw new Error(`The fixture collect failed: ${res.statusCode} ${res.body}`);
  return {
    app,
    data: (res.json() as { data: Observation }).data,
    host,
    domain,
    port: peer.port,
    close: async () => {
      await app.close();
      await peer.close();
      await dns.close();
    },
  };
}
