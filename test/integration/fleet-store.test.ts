/**
 * `--store postgres://…` against a private PostgreSQL (Debian's binaries,
 * started on a free loopback port in a temporary directory): rows written,
 * one per domain and batch; a rerun adds a batch; and the two example
 * queries of the README, read from the README itself, return what it says
 * they return.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { decideSuite, suiteNeeding } from '../prerequisites.js';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios, type ScenarioPeer } from '../peers/smtp-scenarios.js';
import { testCa } from '../peers/certs.js';
import { POSTGRES_HINT, postgresMissing, startPostgres, type PostgresInstance } from '../support/postgres-server.js';
import { PACKAGE_ROOT } from '../../src/model/package-info.js';
import { runBatchCli } from './run-batch-cli.js';

/** This file's slice of loopback: DNS on .180, a healthy MX on .181, an open relay on .182. */
const DNS_HOST = '127.0.0.180';
const HEALTHY_HOST = '127.0.0.181';
const RELAY_HOST = '127.0.0.182';
const STEADY = ['a.store.test', 'b.store.test'];
const MOVING = 'moving.store.test';

let postgres: PostgresInstance;
let dns: DnsServer;
let healthy: ScenarioPeer;
let relay: ScenarioPeer;
let dir: string;
let caFile: string;

/** A query of the README, after its `<!-- store-query: NAME -->` marker, with psql's :'variables' as $1, $2… */
function readmeQuery(name: string, variables: string[]): string {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- store-query: ${name} -->\\n\`\`\`sql\\n([\\s\\S]*?)\`\`\``).exec(readme);
  assert.ok(m, `the README has the query "${name}"`);
  let sql = m[1]!;
  variables.forEach((v, i) => (sql = sql.replaceAll(`:'${v}'`, `$${i + 1}`)));
  assert.doesNotMatch(sql, /:'\w+'/, 'every psql variable is bound');
  return sql;
}

const decision = decideSuite({ suite: 'store', missing: postgresMissing(), hint: POSTGRES_HINT });

suiteNeeding('checker-smtp batch --store', decision, () => {
  before(async () => {
    postgres = await startPostgres();
    dns = await startDnsServer([], { host: DNS_HOST });
    healthy = await scenarios.healthy({
      host: HEALTHY_HOST,
      port: 0,
      domain: STEADY[0]!,
      localDomains: [...STEADY.slice(1), MOVING],
      mxName: 'mx.store.test',
    });
    relay = await scenarios.openRelay({
      host: RELAY_HOST,
      port: healthy.port,
      domain: MOVING,
      mxName: 'mx.relay.store.test',
    });
    for (const d of [...STEADY, MOVING])
      dns.set(...mailDomainRecords(d, [{ name: 'mx.store.test', addresses: [HEALTHY_HOST] }]));
    dir = mkdtempSync(join(tmpdir(), 'checker-smtp-store-'));
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, testCa().cert);
  });

  after(async () => {
    await Promise.all([healthy?.close(), relay?.close(), dns?.close()]);
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one row per domain and batch; a rerun adds a batch; the README queries say what changed', async () => {
    const list = join(dir, 'domains.txt');
    writeFileSync(list, `${[...STEADY, MOVING].join('\n')}\nnot a domain\n`);
    const run = (batch: string) =>
      runBatchCli(
        [
          list,
          '--out',
          join(dir, `${batch}.jsonl`),
          '--store',
          postgres.url,
          '--batch-id',
          batch,
          '--resolver',
          dns.address,
          '--port',
          String(healthy.port),
          '--timeout',
          '5',
        ],
        { caFile },
      );
    const first = await run('week47');
    assert.equal(first.code, 0, first.stderr);
    // Meanwhile the moving domain sent its mail to an open relay.
    dns.set(...mailDomainRecords(MOVING, [{ name: 'mx.relay.store.test', addresses: [RELAY_HOST] }]));
    const second = await run('week48');
    assert.equal(second.code, 0, second.stderr);

    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const rows = await client.query<{ batch_id: string; domain: string; status: number; kinds: string }>(
        `SELECT batch_id, domain, status, jsonb_typeof(states) || ' ' || jsonb_typeof(observation) AS kinds
         FROM smtp_checks ORDER BY batch_id, domain`,
      );
      assert.deepEqual(
        rows.rows.map((r) => `${r.batch_id} ${r.domain} ${r.kinds}`),
        ['week47', 'week48'].flatMap((b) => [...STEADY, MOVING].sort().map((d) => `${b} ${d} array object`)),
        'one row per checked domain and batch (the line naming no domain is only in the output), states and observation as jsonb',
      );
      const out47 = readFileSync(join(dir, 'week47.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { domain: string; status: number });
      for (const line of out47.filter((l) => l.domain !== 'not a domain'))
        assert.equal(rows.rows.find((r) => r.batch_id === 'week47' && r.domain === line.domain)?.status, line.status);

      const findings = await client.query<{ code: string; domains: string }>(readmeQuery('findings', ['batch']), [
        'week48',
      ]);
      assert.deepEqual(
        findings.rows.find((r) => r.code === 'smtp.open_relay'),
        { code: 'smtp.open_relay', domains: '1' },
        'the README: `smtp.open_relay | 1` for a batch where one domain relays',
      );
      const before = await client.query<{ code: string }>(readmeQuery('findings', ['batch']), ['week47']);
      assert.ok(!before.rows.some((r) => r.code === 'smtp.open_relay'), 'no relay the week before');

      const changes = await client.query<{ domain: string; before: string; after: string }>(
        readmeQuery('changes', ['previous', 'current']),
        ['week47', 'week48'],
      );
      assert.deepEqual(changes.rows, [{ domain: MOVING, before: 'INFO', after: 'CRIT' }]);
    } finally {
      await client.end();
    }
  });
});
