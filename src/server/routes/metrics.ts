/**
 * GET /metrics: the service's own metrics in the Prometheus text format
 * (service-metrics.ts). Behind the token like every route but /health
 * (Prometheus sends it as `authorization` or `basic_auth`); never counted as
 * work, never rate-limited.
 */
import type { ServiceApp, ServiceDeps } from '../service-deps.js';

export function registerMetricsRoute(app: ServiceApp, { metrics }: ServiceDeps): void {
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
