/**
 * The per-client rate limit of a hosted deployment, in endpoints probed (see
 * endpoint-budget.ts): every work route takes one unit on arrival, one budget
 * across all of them, so a client cannot spend a budget per route; a check
 * then takes one more per endpoint it dials beyond the first (run-collect.ts).
 * Clients are keyed on an IPv4 address or an IPv6 /64 (client-key.ts).
 * Beyond it, 429 with Retry-After.
 */
import type { FastifyReply } from 'fastify';
import { plural } from '../../model/text.js';
import { HttpError } from '../http-error.js';
import { clientKey } from '../client-key.js';
import type { EndpointBudget } from '../endpoint-budget.js';
import type { WorkRouteOptions } from '../service-deps.js';

/** The 429 of an exhausted budget, its Retry-After set on `reply`. */
export function overBudget(reply: FastifyReply, budget: EndpointBudget, retryAfterS: number, why: string): HttpError {
  reply.header('retry-after', String(retryAfterS));
  return new HttpError(
    'http.rate_limited',
    `Too many requests: ${why}; this checker probes at most ${plural(budget.perWindow, 'endpoint')} per minute per client (a check costs one per endpoint it probes, any other request one); retry in ${retryAfterS} s.`,
  );
}

/** The route options every work route spreads: counted, and charged one unit when a budget is set. */
export function registerRateLimit(budget: EndpointBudget | null): WorkRouteOptions {
  const work = { config: { work: true } } as const;
  if (budget === null) return work;
  return {
    ...work,
    onRequest: async (request, reply) => {
      const charged = budget.charge(clientKey(request.ip), 1);
      if (!charged.ok) throw overBudget(reply, budget, charged.retryAfterS, 'this client has used its budget');
    },
  };
}
