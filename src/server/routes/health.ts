/** GET /health: liveness and load, for a scheduler choosing the least busy instance. Never counted, never limited. */
import { availableParallelism } from 'node:os';
import { HealthResponseSchema } from '../../model/protocol.js';
import type { ServiceApp, ServiceDeps } from '../service-deps.js';

export function registerHealthRoute(app: ServiceApp, { tracker, startedAt }: ServiceDeps): void {
  app.get('/health', { schema: { response: { 200: HealthResponseSchema } } }, async () => ({
    status: 'ok' as const,
    uptime_seconds: (Date.now() - startedAt) / 1000,
    num_cpu: availableParallelism(),
    inflight: tracker.inflight,
    total_requests: tracker.total,
    loadavg: tracker.loadavg(),
  }));
}
