/** One log line per request, written when the answer is sent (fastify's own pair of lines is off). */
import type { ServiceApp } from './service-deps.js';

export function registerRequestLog(app: ServiceApp): void {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        path: request.url,
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
}
