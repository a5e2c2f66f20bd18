import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Status } from '../../model/status.js';
import { batchLine, healthyFacts } from '../../../test/fixtures/batch-lines.js';
import { FleetAggregator } from '../fleet-summary.js';
import { FleetComparison, PreviousRun } from '../fleet-compare.js';
import { renderFleetText } from './fleet-text.js';

test('renderFleetText() gives counts, shares, what needs a person with its output line, findings and changes', () => {
  const agg = new FleetAggregator();
  const prev = new PreviousRun();
  prev.add(batchLine('relay.example', 'OK'));
  const cmp = new FleetComparison(prev, 'last-week.jsonl');
  const lines = [
    batchLine('ok.example', 'OK'),
    batchLine('relay.example', 'CRIT', [[Status.CRIT, 'smtp.open_relay']]),
    batchLine('down.example\u001b[2J', 'CRIT', [[Status.CRIT, 'smtp.all_unreachable']], {
      ...healthyFacts(),
      reachable: 0,
      starttls: 0,
      tls12: 0,
    }),
  ];
  lines.forEach((l, i) => {
    agg.add(l, i + 1);
    cmp.add(l, i + 1);
  });
  const text = renderFleetText({ summary: agg.model(), comparison: cmp.model(), output: 'results.jsonl' });
  assert.equal(
    text,
    [
      '3 domains: 1 OK, 2 CRIT.',
      'Of 2 with a reachable MX: STARTTLS 100.0 %, TLS ≥ 1.2 100.0 %, FCrDNS 100.0 %, IPv6 0.0 %.',
      'Open relays: 1: relay.example (results.jsonl:2).',
      'Unreachable: 1: down.example\\x1b[2J (results.jsonl:3).',
      'Top findings (domains): smtp.all_unreachable 1, smtp.open_relay 1.',
      'Since last-week.jsonl (1 domains; 1 in both, 2 new, 0 not checked this time): 1 new findings, 0 fixed, 1 domains worse, 0 better.',
      '  New: smtp.open_relay 1.',
      '  Worse: relay.example (results.jsonl:2) OK → CRIT.',
      '',
    ].join('\n'),
  );
  assert.match(renderFleetText({ summary: agg.model(), comparison: null, output: null }), /relay\.example \(line 2\)/);
});
