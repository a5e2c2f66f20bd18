/**
 * Counts work requests (routes whose config says `work`) for /health's
 * inflight, total and load averages; reading the definition or the health
 * is not work. A request ends when its answer is sent or its connection
 * closes, whichever comes first and only once: a client that aborts
 * mid-request (before, during or after its body) ends its tracking too.
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
  app.addHook('onRequest', async (request, reply) => {
    if (!request.routeOptions.config.work) return;
    const end = tracker.begin();
    // 'close' comes after the last byte of the answer, or when the connection drops first;
    // onResponse alone never runs for an aborted request, and inflight grew for ever (issue 12).
    reply.raw.once('close', end);
  });
  app.addHook('onClose', async () => tracker.stop());
}
