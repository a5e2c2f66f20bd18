import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../rules/index.js';
import { Status } from '../model/status.js';
import type { Observation } from '../model/observation.js';
import { observation, openRelayObservation, allUnreachableObservation } from '../../test/fixtures/observations.js';
import { nagiosPerfdata, renderNagios } from './nagios.js';
import { verdictSummary } from './view-model.js';

interface Datum {
  label: string;
  value: number;
  uom: string;
  warn: string;
  crit: string;
  min: string;
  max: string;
}

/**
 * Performance data read by the plugin format's grammar (Monitoring Plugins
 * Development Guidelines): space-separated `'label'=value[UOM];[warn];[crit];[min];[max]`,
 * a label quoted when it holds a space or "=", a value a number, UOM one of
 * s ms us % B KB MB TB c or none, thresholds ranges, min and max numbers.
 * Throws on anything else, as a strict collector (PNP4Nagios, Icinga's
 * perfdata writer) would drop it.
 */
function parsePerfdata(text: string): Datum[] {
  const NUMBER = '-?\\d+(?:\\.\\d+)?';
  const RANGE = `@?(?:${NUMBER}|~)?:?(?:${NUMBER})?`;
  const ITEM = new RegExp(
    `^(?:'((?:[^'=]|'')+)'|([^'= ][^= ]*))=(${NUMBER})(s|ms|us|%|B|KB|MB|TB|c)?(?:;(${RANGE})?(?:;(${RANGE})?(?:;(${NUMBER})?(?:;(${NUMBER})?)?)?)?)?$`,
  );
  // Items are space-separated; a quoted label may hold a space.
  const items = text.match(/(?:'(?:[^']|'')*'|[^ '])+|'[^ ]*/g) ?? [];
  assert.equal(items.join(' '), text, 'items separated by single spaces');
  return items.map((item) => {
    const m = ITEM.exec(item);
    if (!m) throw new Error(`not performance data: ${JSON.stringify(item)}`);
    return {
      label: m[1] ?? m[2]!,
      value: Number(m[3]),
      uom: m[4] ?? '',
      warn: m[5] ?? '',
      crit: m[6] ?? '',
      min: m[7] ?? '',
      max: m[8] ?? '',
    };
  });
}

/** The plugin output split as a collector splits it: status line text, perfdata, long output. */
function parsePluginOutput(out: string) {
  assert.ok(out.endsWith('\n'));
  const [first, ...long] = out.slice(0, -1).split('\n');
  const bar = first!.indexOf('|');
  assert.ok(bar > 0, 'performance data after a "|"');
  assert.equal(first!.indexOf('|', bar + 1), -1, 'one "|" only on the status line');
  for (const line of long) assert.ok(!line.includes('|'), `no "|" in long output: ${line}`);
  const status = /^SMTP (OK|WARNING|CRITICAL|UNKNOWN) - (.+) $/.exec(first!.slice(0, bar));
  assert.ok(status, `status line: ${first}`);
  return { state: status[1]!, text: status[2]!, perf: parsePerfdata(first!.slice(bar + 1).trim()), long };
}

const byLabel = (perf: Datum[]) => Object.fromEntries(perf.map((d) => [d.label, d]));

describe('renderNagios()', () => {
  it('states an open relay as CRITICAL with the endpoint, and its performance data parses', () => {
    const obs = openRelayObservation();
    const out = parsePluginOutput(renderNagios(obs, evaluate(obs)));
    assert.equal(out.state, 'CRITICAL');
    assert.match(out.text, /^example\.com: open relay on 192\.0\.2\.20:25/);
    const perf = byLabel(out.perf);
    assert.equal(perf['endpoints']!.value, 2);
    assert.equal(perf['reachable']!.value, 2);
    assert.equal(perf['reachable']!.max, '2');
    assert.equal(perf['open_relay']!.value, 1);
    assert.equal(perf['time']!.uom, 's');
    assert.ok(perf['crit']!.value >= 1);
    assert.ok(
      out.long.some((l) => /^CRIT 192\.0\.2\.20:25 \(smtp\.open_relay\): /.test(l)),
      'long output: one line per finding',
    );
    // Every label once.
    assert.equal(new Set(out.perf.map((d) => d.label)).size, out.perf.length);
  });

  it('says OK with the verdict sentence and no long output for a healthy domain', () => {
    const obs = observation();
    const out = parsePluginOutput(renderNagios(obs, evaluate(obs)));
    assert.equal(out.state, 'OK');
    assert.equal(out.text, verdictSummary(obs, evaluate(obs)).summary);
    assert.deepEqual(out.long, []);
    assert.equal(byLabel(out.perf)['open_relay']!.value, 0);
  });

  it('is UNKNOWN, naming the reason, when no endpoint could be tested', () => {
    const obs = allUnreachableObservation();
    const states = evaluate(obs);
    const out = parsePluginOutput(renderNagios(obs, states));
    assert.equal(out.state, verdictSummary(obs, states).status === Status.CRIT ? 'CRITICAL' : 'UNKNOWN');
    assert.equal(byLabel(out.perf)['reachable']!.value, 0);
  });

  it('keeps a "|" in a server-controlled text out of the status line', () => {
    const obs: Observation = openRelayObservation();
    const states = evaluate(obs).map((s) =>
      s.code === 'smtp.open_relay' ? { ...s, message: 'accepted | pipe=1' } : s,
    );
    const out = parsePluginOutput(renderNagios(obs, states));
    assert.ok(out.long.some((l) => l.includes('accepted / pipe=1')));
  });
});

describe('the performance-data parser itself', () => {
  it('refuses what is not in the grammar, so the tests above can fail', () => {
    for (const bad of ['time=1.2sec', 'a=b=1', 'x=', "'open=1", 'x=1;2;3;4;5;6', 'x=abc'])
      assert.throws(() => parsePerfdata(bad), /not performance data/, bad);
    assert.deepEqual(parsePerfdata("'a b'=1.5s;1;2;0;10")[0], {
      label: 'a b',
      value: 1.5,
      uom: 's',
      warn: '1',
      crit: '2',
      min: '0',
      max: '10',
    });
    assert.equal(
      nagiosPerfdata(observation(), []).split(' ').length,
      parsePerfdata(nagiosPerfdata(observation(), [])).length,
    );
  });
});
