import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointRef, refsOfEndpoint, tlsEndpointEntries } from './discovery.js';
import { endpoint, observation } from '../../test/fixtures/observations.js';

test('tlsEndpointEntries() publishes one tls.endpoint.v1 per MX host, not per address', () => {
  const obs = observation({
    endpoints: [
      endpoint({ mx: ['mx1.example.com'], address: '192.0.2.1' }),
      endpoint({ mx: ['mx1.example.com'], address: '2001:db8::1', family: 6 }),
      endpoint({ mx: ['mx2.example.com', 'mx1.example.com'], address: '192.0.2.2' }),
    ],
  });
  assert.deepEqual(tlsEndpointEntries(obs), [
    {
      type: 'tls.endpoint.v1',
      ref: 'mx1.example.com:25',
      payload: { host: 'mx1.example.com', port: 25, sni: 'mx1.example.com', starttls: 'smtp', require_starttls: false },
    },
    {
      type: 'tls.endpoint.v1',
      ref: 'mx2.example.com:25',
      payload: { host: 'mx2.example.com', port: 25, sni: 'mx2.example.com', starttls: 'smtp', require_starttls: false },
    },
  ]);
});

test('tlsEndpointEntries() publishes nothing when no endpoint was probed', () => {
  assert.deepEqual(tlsEndpointEntries(observation({ endpoints: [] })), []);
});

test('refsOfEndpoint() names the refs related observations of an endpoint arrive under', () => {
  assert.equal(endpointRef('mx.example.com', 2525), 'mx.example.com:2525');
  assert.deepEqual(refsOfEndpoint({ mx: ['a.example.com', 'b.example.com'], port: 25 }), [
    'a.example.com:25',
    'b.example.com:25',
  ]);
});
