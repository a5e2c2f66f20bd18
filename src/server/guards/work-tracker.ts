/**
 * Counts work requests (routes whose config says `work`) for /health's
 * inflight, total and load averages; reading the definition or the health
 * is not work.
 */
import type { WorkTracker } from '../load-average.js';
import type { ServiceApp } from '../service-deps.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Counted in /health's inflight, total and load averages, and rate-limited. */
    work?: boolean;
  }
}

export function registerWorkTracker(app: ServiceApp, tracker: WorkTracker): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.work) tracker.begin();
  });
  app.addHook('onResponse', async (request) => {
    if (request.routeOptions.config.work) tracker.end();
  });
  app.addHook('onClose', async () => tracker.stop());
}
