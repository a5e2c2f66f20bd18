import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeExposition, PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
import { evaluate } from '../rules/index.js';
import {
  endpoint,
  hostileObservation,
  noStartTlsObservation,
  nullMxObservation,
  observation,
  openRelayObservation,
  reply,
  tlsInfo,
  transaction,
  unreachableEndpoint,
} from '../../test/fixtures/observations.js';
import { decideSuite, suiteNeeding } from '../../test/prerequisites.js';
import {
  parseExposition,
  promtoolMissing,
  promtoolProblems,
  sampleValue,
} from '../../test/support/prometheus-format.js';
import type { Observation } from '../model/observation.js';

async function scrape(obs: Observation) {
  const text = await probeExposition(obs, evaluate(obs));
  return { text, families: parseExposition(text) };
}

test('a healthy domain scrapes as probe_success 1 with every endpoint reachable over TLS 1.3', async () => {
  const obs = observation({
    duration_ms: 1234,
    endpoints: [
      endpoint({
        address: '192.0.2.10',
        timings: { connect_ms: 3, greeting_ms: 40, ehlo_ms: 2, tls_ms: 15, total_ms: 90 },
        starttls: { ...endpoint().starttls, tls: tlsInfo({ version: 'TLSv1.3' }) },
      }),
    ],
  });
  const { families } = await scrape(obs);
  const ep = { address: '192.0.2.10', family: 'ipv4', mx: 'mx1.example.com' };
  assert.equal(sampleValue(families, 'probe_success'), 1);
  assert.equal(sampleValue(families, 'probe_duration_seconds'), 1.234);
  assert.equal(sampleValue(families, 'smtp_status'), 0);
  assert.equal(sampleValue(families, 'smtp_endpoints'), 1);
  assert.equal(sampleValue(families, 'smtp_endpoint_reachable', ep), 1);
  assert.equal(sampleValue(families, 'smtp_endpoint_starttls', ep), 1);
  assert.equal(sampleValue(families, 'smtp_endpoint_tls_version_info', { ...ep, version: 'TLSv1.3' }), 1);
  assert.equal(sampleValue(families, 'smtp_endpoint_connect_seconds', ep), 0.003);
  assert.equal(sampleValue(families, 'smtp_endpoint_greeting_seconds', ep), 0.04);
  assert.equal(sampleValue(families, 'smtp_endpoint_tls_handshake_seconds', ep), 0.015);
  assert.equal(sampleValue(families, 'smtp_endpoint_open_relay', ep), 0);
  assert.equal(sampleValue(families, 'smtp_endpoint_status', ep), 0);
  const leaf = obs.endpoints[0]!.starttls.tls!.chain[0]!;
  assert.equal(sampleValue(families, 'probe_ssl_earliest_cert_expiry'), Date.parse(leaf.valid_to) / 1000);
  assert.equal(sampleValue(families, 'smtp_findings', { status: 'CRIT' }), 0);
});

test('an open relay fails the probe and is marked on its endpoint', async () => {
  const obs = openRelayObservation();
  const { families } = await scrape(obs);
  assert.equal(sampleValue(families, 'probe_success'), 0);
  assert.equal(sampleValue(families, 'smtp_status'), 2);
  const relay = families.find((f) => f.name === 'smtp_endpoint_open_relay')!;
  assert.ok(
    relay.metrics.some((m) => m.value === '1'),
    'some endpoint is an open relay',
  );
  assert.ok((sampleValue(families, 'smtp_findings', { status: 'CRIT' }) ?? 0) >= 1);
});

test('an unreachable endpoint has no stage times but connect, and no TLS version series', async () => {
  const obs = observation({ endpoints: [endpoint({ address: '192.0.2.10' }), unreachableEndpoint('2001:db8::10')] });
  const { families } = await scrape(obs);
  const v6 = { address: '2001:db8::10', family: 'ipv6' };
  assert.equal(sampleValue(families, 'smtp_endpoint_reachable', v6), 0);
  assert.equal(sampleValue(families, 'smtp_endpoint_greeting_seconds', v6), undefined);
  assert.equal(sampleValue(families, 'smtp_endpoint_tls_handshake_seconds', v6), undefined);
  const versions = families.find((f) => f.name === 'smtp_endpoint_tls_version_info')!.metrics;
  assert.deepEqual(
    versions.map((m) => m.labels?.['address']),
    ['192.0.2.10'],
  );
  assert.equal(sampleValue(families, 'smtp_endpoint_open_relay', v6), undefined, 'relay never tested there');
});

test('a relay refusal aimed at the checker leaves relaying untold: no open_relay sample, probe not a success', async () => {
  const healthy = endpoint({ address: '192.0.2.10' });
  const refusedClient = {
    ...transaction('open_relay', 'rejected'),
    rcpt: reply(550, '5.7.25 <192.0.2.99>: Client host rejected: cannot find your hostname'),
  };
  const obs = observation({
    endpoints: [
      endpoint({
        address: '192.0.2.10',
        transactions: healthy.transactions.map((t) => (t.kind === 'open_relay' ? refusedClient : t)),
      }),
    ],
  });
  const { families } = await scrape(obs);
  assert.equal(sampleValue(families, 'smtp_endpoint_open_relay', { address: '192.0.2.10' }), undefined);
  assert.equal(sampleValue(families, 'smtp_endpoint_status', { address: '192.0.2.10' }), 3);
});

test('without STARTTLS the endpoint says 0 and no certificate expiry is exposed', async () => {
  const { families } = await scrape(noStartTlsObservation());
  assert.ok(families.find((f) => f.name === 'smtp_endpoint_starttls')!.metrics.every((m) => m.value === '0'));
  assert.equal(sampleValue(families, 'probe_ssl_earliest_cert_expiry'), undefined);
});

test('a null MX is a domain that takes no mail by choice: smtp_null_mx 1, no endpoints', async () => {
  const { families } = await scrape(nullMxObservation());
  assert.equal(sampleValue(families, 'smtp_null_mx'), 1);
  assert.equal(sampleValue(families, 'smtp_endpoints'), 0);
});

test('label values from the wire are escaped, never break the exposition', async () => {
  const { text, families } = await scrape(hostileObservation());
  assert.ok(families.length > 5);
  for (const line of text.split('\n')) assert.ok(!/[\r\u0000]/.test(line), `no raw control characters: ${line}`);
});

test('the content type is the text exposition format 0.0.4', () => {
  assert.match(PROMETHEUS_CONTENT_TYPE, /^text\/plain; version=0\.0\.4/);
});

suiteNeeding(
  "Prometheus' own linter",
  decideSuite({ suite: 'promtool', missing: promtoolMissing(), hint: 'run: apt-get install prometheus' }),
  () => {
    test('promtool check metrics finds nothing to say about a scrape', async () => {
      for (const obs of [openRelayObservation(), hostileObservation(), nullMxObservation()]) {
        const { text } = await scrape(obs);
        const { status, output } = promtoolProblems(text);
        assert.equal(output, '', `promtool: ${output}`);
        assert.equal(status, 0);
      }
    });
  },
);
