/**
 * The per-client budget of work requests of a hosted deployment: one limiter
 * (one store) shared by every work route, so a client cannot spend a budget
 * per route, keyed on the client (an IPv4 address, an IPv6 /64). Beyond
 * it, 429 with Retry-After.
 */
import rateLimit from '@fastify/rate-limit';
import { RATE_LIMIT_WINDOW_MS } from '../../config/service-settings.js';
import { HttpError } from '../http-error.js';
import { clientKey } from '../client-key.js';
import type { AppSettings, ServiceApp, WorkRouteOptions } from '../service-deps.js';

/** Registers the limiter when the settings ask for one; answers the route options every work route spreads. */
export async function registerRateLimit(app: ServiceApp, settings: AppSettings): Promise<WorkRouteOptions> {
  const work = { config: { work: true } } as const;
  if (settings.rateLimitPerMinute === null) return work;
  await app.register(rateLimit, {
    global: false,
    // One budget per IPv4 address or IPv6 /64 (client-key.ts); request.ip is the real client
    // behind a trusted proxy (--trust-proxy), the connecting address otherwise.
    keyGenerator: (request) => clientKey(request.ip),
    errorResponseBuilder: (_request, context) =>
      new HttpError(
        'http.rate_limited',
        `Too many requests: at most ${context.max} checks per minute per client; retry in ${Math.ceil(context.ttl / 1000)} s.`,
      ),
  });
  return { ...work, onRequest: app.rateLimit({ max: settings.rateLimitPerMinute, timeWindow: RATE_LIMIT_WINDOW_MS }) };
}
