/**
 * A real Prometheus (Debian's `prometheus`) scrapes a listening service with
 * the scrape configuration the README shows, made local: its own addresses,
 * a short interval. Proves the README's example and that what we expose is
 * what Prometheus ingests: it queries `probe_success` back by instance.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { startOnSamePort } from '../peers/listen.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { startService } from '../server/service-harness.js';
import { decideSuite, suiteNeeding } from '../prerequisites.js';

const PROMETHEUS = 'prometheus';
const LOOPBACK = '127.0.0.1';
const TOKEN = 'scrape-token';
const HEALTHY = 'healthy.scrape.test';
const RELAY = 'relay.scrape.test';
const HOSTS = ['127.66.1.10', '127.66.1.11'];

function missing(): string[] {
  const r = spawnSync(PROMETHEUS, ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? ['prometheus not installed'] : [];
}

/** The README's scrape configuration, made local: its service address, token and intervals replaced. */
function readmeScrapeConfig(readme: string, service: string, targets: string[]): string {
  const block = /```yaml\n(scrape_configs:[\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README has no scrape_configs block');
  const local = block
    .replaceAll('checker-smtp.internal:8080', service)
    .replaceAll('YOUR-TOKEN', TOKEN)
    .replace('targets: [example.org, example.net]', `targets: [${targets.join(', ')}]`)
    .replace(/scrape_interval: 15m/, 'scrape_interval: 1s')
    .replace(/scrape_timeout: 60s/, 'scrape_timeout: 1s');
  assert.notEqual(local, block, 'the replacements found their text');
  return `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n${local}`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

suiteNeeding(
  'Prometheus scraping /probe and /metrics',
  decideSuite({ suite: 'prometheus', missing: missing(), hint: 'run: apt-get install prometheus' }),
  () => {
    let dns: DnsServer;
    let peers: ScenarioPeer[];
    let app: FastifyInstance;
    let prometheus: ChildProcess;
    let dir: string;
    let api: string;
    let service: string;
    let log = '';

    before(async () => {
      dns = await startDnsServer([]);
      let port: number;
      ({ peers, port } = await startOnSamePort([
        (p: number) => scenarios.healthy({ host: HOSTS[0]!, port: p, domain: HEALTHY, mxName: `mx.${HEALTHY}` }),
        (p: number) => scenarios.openRelay({ host: HOSTS[1]!, port: p, domain: RELAY, mxName: `mx.${RELAY}` }),
      ]));
      dns.set(
        ...mailDomainRecords(HEALTHY, [{ name: `mx.${HEALTHY}`, addresses: [HOSTS[0]!] }]),
        ...mailDomainRecords(RELAY, [{ name: `mx.${RELAY}`, addresses: [HOSTS[1]!] }]),
      );
      app = await startService(dns, port, { token: TOKEN });
      await app.listen({ host: LOOPBACK, port: 0 });
      service = `${LOOPBACK}:${(app.server.address() as { port: number }).port}`;
      dir = mkdtempSync(join(tmpdir(), 'checker-smtp-prometheus-'));
      const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
      writeFileSync(join(dir, 'prometheus.yml'), readmeScrapeConfig(readme, service, [HEALTHY, RELAY]));
      api = `http://${LOOPBACK}:${await freePort()}`;
      prometheus = spawn(
        PROMETHEUS,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=${api.slice('http://'.length)}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      prometheus.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    });
    after(async () => {
      prometheus?.kill('SIGKILL');
      await app?.close();
      await Promise.all((peers ?? []).map((p) => p.close()));
      await dns?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** The value of `expr` per instance, once Prometheus has a sample for every instance asked. */
    async function query(expr: string, instances: string[]): Promise<Map<string, number>> {
      return until(`${expr} for ${instances.join(', ')} (prometheus log: ${log})`, async () => {
        const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = (await res.json()) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        const values = new Map(body.data.result.map((r) => [r.metric['instance']!, Number(r.value[1])]));
        return instances.every((i) => values.has(i)) ? values : undefined;
      });
    }

    test('Prometheus ingests probe_success per domain, relabelled to the domain as instance', async () => {
      const success = await query('probe_success{job="smtp"}', [HEALTHY, RELAY]);
      assert.equal(success.get(HEALTHY), 1);
      assert.equal(success.get(RELAY), 0);
      const relay = await query('max by (instance) (smtp_endpoint_open_relay)', [RELAY]);
      assert.equal(relay.get(RELAY), 1);
    });

    test("Prometheus scrapes the service's own metrics with the token, and the target is up", async () => {
      const up = await query('up{job="checker-smtp"}', [service]);
      assert.equal(up.get(service), 1);
      const probes = await query('sum by (instance) (checker_http_requests_total{route="/probe",status="200"})', [
        service,
      ]);
      assert.ok(probes.get(service)! >= 1, 'the /probe scrapes were counted');
    });
  },
);
