import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Status } from '../model/status.js';
import { FLEET_LISTED_MAX } from '../model/fleet-limits.js';
import { batchLine, healthyFacts } from '../../test/fixtures/batch-lines.js';
import { FleetAggregator, percent, providersOf } from './fleet-summary.js';

test('providersOf() groups MX host names by registrable domain (public suffix list), each once', () => {
  assert.deepEqual(providersOf(['aspmx.l.google.com', 'alt1.aspmx.l.google.com', 'mx.example.co.uk']), [
    'google.com',
    'example.co.uk',
  ]);
  assert.deepEqual(providersOf(['mx1.mail.ovh.net']), ['ovh.net']);
  assert.deepEqual(providersOf([]), []);
});

test('FleetAggregator counts verdicts, findings per code (once a domain) and the worst status of each code', () => {
  const agg = new FleetAggregator();
  agg.add(batchLine('a.example', 'OK'), 1);
  agg.add(
    batchLine('b.example', 'WARN', [
      [Status.WARN, 'smtp.ptr.missing'],
      [Status.WARN, 'smtp.ptr.missing'],
      [Status.INFO, 'smtp.ext.missing'],
    ]),
    2,
  );
  agg.add(batchLine('c.example', 'CRIT', [[Status.CRIT, 'smtp.ptr.missing']]), 3);
  agg.add(batchLine('bad..x', 'ERROR', [], null, 'Line 4 names no domain'), 4);
  const m = agg.model();
  assert.equal(m.domains, 4);
  assert.deepEqual(m.byStatus, { OK: 1, INFO: 0, WARN: 1, CRIT: 1, UNKNOWN: 0, ERROR: 1 });
  assert.deepEqual(m.findings, [
    { code: 'smtp.ptr.missing', status: 'CRIT', domains: 2 },
    { code: 'smtp.ext.missing', status: 'INFO', domains: 1 },
  ]);
  assert.deepEqual(m.errors, { total: 1, items: [{ domain: 'bad..x', line: 4, error: 'Line 4 names no domain' }] });
});

test('FleetAggregator shares: of domains with a reachable MX, every endpoint with STARTTLS, TLS ≥ 1.2, FCrDNS; any over IPv6', () => {
  const agg = new FleetAggregator();
  agg.add(
    batchLine('all.example', 'OK', [], {
      ...healthyFacts(),
      ipv6: 1,
      ipv6_reachable: 1,
      endpoints: 3,
      reachable: 3,
      starttls: 3,
      tls12: 3,
      fcrdns: 3,
    }),
    1,
  );
  agg.add(batchLine('half.example', 'CRIT', [], { ...healthyFacts(), starttls: 1, tls12: 1, fcrdns: 1 }), 2);
  agg.add(batchLine('old.example', 'WARN', [], { ...healthyFacts(), tls12: 0 }), 3);
  agg.add(
    batchLine('down.example', 'CRIT', [[Status.CRIT, 'smtp.all_unreachable']], {
      ...healthyFacts(),
      reachable: 0,
      starttls: 0,
      tls12: 0,
    }),
    4,
  );
  agg.add(
    batchLine('null.example', 'INFO', [], {
      ...healthyFacts([]),
      null_mx: true,
      endpoints: 0,
      reachable: 0,
      starttls: 0,
      tls12: 0,
      fcrdns: 0,
    }),
    5,
  );
  const m = agg.model();
  assert.deepEqual(m.shares, { reached: 3, starttls: 2, tls12: 1, fcrdns: 2, ipv6: 1 });
  assert.equal(m.nullMx, 1);
  assert.deepEqual(m.unreachable, { total: 1, items: [{ domain: 'down.example', line: 4 }] });
  assert.equal(percent(2, 3), '66.7 %');
  assert.equal(percent(0, 0), '–');
});

test('FleetAggregator lists open relays (CRIT smtp.open_relay only) and caps every list while counting on', () => {
  const agg = new FleetAggregator();
  agg.add(batchLine('maybe.example', 'UNKNOWN', [[Status.UNKNOWN, 'smtp.open_relay']]), 1);
  for (let i = 0; i < FLEET_LISTED_MAX + 5; i++)
    agg.add(batchLine(`r${i}.example`, 'CRIT', [[Status.CRIT, 'smtp.open_relay']]), i + 2);
  const m = agg.model();
  assert.equal(m.openRelays.total, FLEET_LISTED_MAX + 5);
  assert.equal(m.openRelays.items.length, FLEET_LISTED_MAX);
  assert.deepEqual(m.openRelays.items[0], { domain: 'r0.example', line: 2 });
});

test('FleetAggregator ranks MX providers by domains served', () => {
  const agg = new FleetAggregator();
  agg.add(batchLine('a.example', 'OK', [], healthyFacts(['aspmx.l.google.com', 'alt1.aspmx.l.google.com'])), 1);
  agg.add(batchLine('b.example', 'OK', [], healthyFacts(['b-example.mail.protection.outlook.com'])), 2);
  agg.add(batchLine('c.example', 'OK', [], healthyFacts(['aspmx.l.google.com'])), 3);
  const m = agg.model();
  assert.deepEqual(m.providers, [
    { name: 'google.com', domains: 2 },
    { name: 'outlook.com', domains: 1 },
  ]);
  assert.equal(m.providerCount, 2);
  assert.equal(m.providerUndercount, 0);
});
