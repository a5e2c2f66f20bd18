/**
 * Metrics a monitoring system can plot (PROTOCOL.md CheckMetric): per-endpoint
 * stage times, endpoint counts, findings per status. A pure function of the
 * observation and its states; timestamps are the collection time, so a
 * replayed observation yields the same series.
 */
import type { EndpointProbe, Observation } from '../model/observation.js';
import { STATUS_NAMES, Status, type CheckState, type StatusValue } from '../model/status.js';
import type { CheckMetric } from '../model/protocol.js';

export type { CheckMetric };

/** Stage timings per endpoint: [metric name, which timing]. A stage never reached has no sample. */
const STAGE_METRICS = [
  ['smtp_endpoint_connect_ms', (e: EndpointProbe) => e.timings.connect_ms],
  ['smtp_endpoint_greeting_ms', (e: EndpointProbe) => e.timings.greeting_ms],
  ['smtp_endpoint_tls_handshake_ms', (e: EndpointProbe) => e.timings.tls_ms],
  ['smtp_endpoint_total_ms', (e: EndpointProbe) => e.timings.total_ms],
] as const;

const STATUS_ORDER: StatusValue[] = [Status.OK, Status.INFO, Status.WARN, Status.CRIT, Status.UNKNOWN, Status.ERROR];

export function metricsOf(obs: Observation, states: readonly CheckState[]): CheckMetric[] {
  const timestamp = obs.collected_at;
  const out: CheckMetric[] = [];
  const add = (name: string, value: number, unit?: string, labels?: Record<string, string>) =>
    out.push({ name, value, ...(unit ? { unit } : {}), ...(labels ? { labels } : {}), timestamp });

  for (const e of obs.endpoints) {
    const labels = { mx: e.mx.join(','), address: e.address, family: `ipv${e.family}` };
    for (const [name, timing] of STAGE_METRICS) {
      const value = timing(e);
      if (value !== null) add(name, value, 'ms', labels);
    }
  }

  const reachable = obs.endpoints.filter((e) => e.connected);
  add('smtp_endpoints', obs.endpoints.length, 'endpoints');
  add('smtp_endpoints_reachable', reachable.length, 'endpoints');
  add('smtp_endpoints_starttls', obs.endpoints.filter((e) => e.starttls.ok).length, 'endpoints');
  for (const family of [4, 6] as const) {
    const labels = { family: `ipv${family}` };
    add('smtp_endpoints_by_family', obs.endpoints.filter((e) => e.family === family).length, 'endpoints', labels);
    add('smtp_endpoints_reachable_by_family', reachable.filter((e) => e.family === family).length, 'endpoints', labels);
  }
  for (const status of STATUS_ORDER) {
    add('smtp_findings', states.filter((s) => s.status === status).length, 'states', { status: STATUS_NAMES[status] });
  }
  add('smtp_collect_duration_ms', obs.duration_ms, 'ms');
  return out;
}
