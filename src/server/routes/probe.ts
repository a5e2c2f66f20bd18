/**
 * GET /probe?target=DOMAIN: one check as a Prometheus scrape, the
 * blackbox_exporter convention (probe_success, probe_duration_seconds, then
 * per-endpoint gauges; src/presentation/prometheus.ts). A work route like
 * /collect: the token, the rate limit, the target policy and every other
 * bound of run-collect.ts apply. The check ends before Prometheus gives up:
 * within the scrape timeout Prometheus sends, less a margin.
 */
import { ProbeQuerySchema } from '../../model/protocol.js';
import { PROMETHEUS_CONTENT_TYPE, probeExposition } from '../../presentation/prometheus.js';
import { runCollect } from '../run-collect.js';
import type { ServiceApp, ServiceDeps } from '../service-deps.js';

/** The header Prometheus sends with every scrape: its scrape_timeout, in seconds. */
export const SCRAPE_TIMEOUT_HEADER = 'x-prometheus-scrape-timeout-seconds';
/** Kept for evaluating, rendering and the answer's trip back, as blackbox_exporter keeps 0.5 s. */
export const SCRAPE_MARGIN_MS = 500;
/** Shortest deadline a scrape timeout can set: below it no endpoint could finish. */
const MIN_SCRAPE_DEADLINE_MS = 1_000;

/** The collect deadline a scrape's timeout asks for; undefined without a usable header. */
export function scrapeDeadlineMs(header: string | string[] | undefined): number | undefined {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  return Math.max(MIN_SCRAPE_DEADLINE_MS, seconds * 1000 - SCRAPE_MARGIN_MS);
}

export function registerProbeRoute(app: ServiceApp, deps: ServiceDeps): void {
  app.get('/probe', { schema: { querystring: ProbeQuerySchema }, ...deps.work }, async (request, reply) => {
    const deadlineMs = scrapeDeadlineMs(request.headers[SCRAPE_TIMEOUT_HEADER]);
    const obs = await runCollect(deps, {
      options: { domain: request.query.target },
      request,
      reply,
      page: false,
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    });
    const states = await deps.present.run(obs, { kind: 'evaluate' });
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(await probeExposition(obs, states));
  });
}
