/**
 * The service's own metrics for `GET /metrics` (prom-client): requests by
 * route and status, their durations, work in flight, SMTP connections open
 * and queued at the connection gate, endpoint probes by outcome, and the
 * process (CPU, memory, event-loop lag, from prom-client's defaults). One
 * registry per app, so apps built side by side (tests) never share series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConnectionGate } from '../collect/connection-gate.js';
import type { Observation } from '../model/observation.js';
import type { WorkTracker } from './load-average.js';

/** Label of requests that matched no route: one series for all of them, never one per path a scanner tries. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Request durations: from a /health answer (ms) to a collect at the 100 s deadline. */
const DURATION_BUCKETS_S = [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** What one endpoint probe ended with: `completed` (the dialogue ran to its end) or the error code of its stop. */
export function probeOutcome(e: Observation['endpoints'][number]): string {
  return e.error === null ? 'completed' : e.error.code;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly durations: Histogram<'route' | 'method'>;
  private readonly probes: Counter<'outcome'>;
  private readonly checks: Counter<'cut'>;

  constructor(sources: { tracker: WorkTracker; gate: ConnectionGate }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'checker_http_requests_total',
      help: 'HTTP requests answered, by route, method and status code.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.durations = new Histogram({
      name: 'checker_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route and method.',
      labelNames: ['route', 'method'],
      buckets: DURATION_BUCKETS_S,
      registers,
    });
    this.probes = new Counter({
      name: 'checker_probes_total',
      help: 'Endpoint probes by outcome: completed, or the code of what stopped them (connect.timeout, policy.capped, …).',
      labelNames: ['outcome'],
      registers,
    });
    this.checks = new Counter({
      name: 'checker_collects_total',
      help: 'Collections run (/collect, /check, /probe), by whether they were cut (cancelled, deadline) or not (none).',
      labelNames: ['cut'],
      registers,
    });
    const { tracker, gate } = sources;
    new Gauge({
      name: 'checker_work_in_flight',
      help: 'Work requests being answered now.',
      registers,
      collect() {
        this.set(tracker.inflight);
      },
    });
    new Gauge({
      name: 'checker_smtp_connections_open',
      help: 'SMTP connections open now, all checks together.',
      registers,
      collect() {
        this.set(gate.stats().open);
      },
    });
    new Gauge({
      name: 'checker_smtp_connections_queued',
      help: 'Probes waiting for a connection slot now.',
      registers,
      collect() {
        this.set(gate.stats().queued);
      },
    });
  }

  /** One answered request; `route` is the route pattern, never the raw URL. */
  request(route: string | undefined, method: string, status: number, seconds: number): void {
    const r = route ?? UNMATCHED_ROUTE;
    this.requests.inc({ route: r, method, status: String(status) });
    this.durations.observe({ route: r, method }, seconds);
  }

  /** One collection done: its endpoints counted by outcome. */
  collected(obs: Observation): void {
    this.checks.inc({ cut: obs.cut?.reason ?? 'none' });
    for (const e of obs.endpoints) this.probes.inc({ outcome: probeOutcome(e) });
  }
}
