import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsOf } from './metrics.js';
import { evaluate } from '../rules/index.js';
import { endpoint, observation, unreachableEndpoint } from '../../test/fixtures/observations.js';

test('metricsOf() gives stage times per endpoint, labelled by mx, address and family', () => {
  const obs = observation({
    endpoints: [
      endpoint({
        address: '192.0.2.10',
        timings: { connect_ms: 3, greeting_ms: 40, ehlo_ms: 2, tls_ms: 15, total_ms: 90 },
      }),
      unreachableEndpoint('2001:db8::10'),
    ],
  });
  const metrics = metricsOf(obs, evaluate(obs));
  const of = (name: string) => metrics.filter((m) => m.name === name).map((m) => [m.labels?.['address'], m.value]);
  assert.deepEqual(of('smtp_endpoint_connect_ms'), [['192.0.2.10', 3]]);
  assert.deepEqual(of('smtp_endpoint_greeting_ms'), [['192.0.2.10', 40]]);
  assert.deepEqual(of('smtp_endpoint_tls_handshake_ms'), [['192.0.2.10', 15]]);
  assert.deepEqual(of('smtp_endpoint_total_ms'), [
    ['192.0.2.10', 90],
    ['2001:db8::10', 12000],
  ]);
  const first = metrics[0]!;
  assert.deepEqual(first.labels, { mx: 'mx1.example.com', address: '192.0.2.10', family: 'ipv4' });
  assert.equal(first.unit, 'ms');
  assert.equal(first.timestamp, obs.collected_at);
});

test('metricsOf() counts endpoints reachable, with STARTTLS and per family, and findings per status', () => {
  const obs = observation({ endpoints: [endpoint({ address: '192.0.2.10' }), unreachableEndpoint('2001:db8::10')] });
  const states = evaluate(obs);
  const metrics = metricsOf(obs, states);
  const value = (name: string, label?: [string, string]) =>
    metrics.find((m) => m.name === name && (!label || m.labels?.[label[0]] === label[1]))?.value;
  assert.equal(value('smtp_endpoints'), 2);
  assert.equal(value('smtp_endpoints_reachable'), 1);
  assert.equal(value('smtp_endpoints_starttls'), 1);
  assert.equal(value('smtp_endpoints_by_family', ['family', 'ipv6']), 1);
  assert.equal(value('smtp_endpoints_reachable_by_family', ['family', 'ipv6']), 0);
  assert.equal(value('smtp_findings', ['status', 'CRIT']), states.filter((s) => s.status === 4).length);
  const findings = metrics.filter((m) => m.name === 'smtp_findings');
  assert.equal(
    findings.reduce((n, m) => n + m.value, 0),
    states.length,
  );
  assert.deepEqual(
    findings.map((m) => m.labels?.['status']),
    ['OK', 'INFO', 'WARN', 'CRIT', 'UNKNOWN', 'ERROR'],
  );
});
