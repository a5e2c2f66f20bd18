/** POST /collect: probe the domain the options name; answer the observation and its discovery entries. */
import { tlsEndpointEntries } from '../../model/discovery.js';
import { CollectRequestSchema, CollectResponseSchema } from '../../model/protocol.js';
import { runCollect } from '../run-collect.js';
import type { ServiceApp, ServiceDeps } from '../service-deps.js';

export function registerCollectRoute(app: ServiceApp, deps: ServiceDeps): void {
  app.post(
    '/collect',
    { schema: { body: CollectRequestSchema, response: { 200: CollectResponseSchema } }, ...deps.work },
    async (request, reply) => {
      const { options = {}, enabledRules } = request.body;
      const observation = await runCollect(deps, { options, enabledRules, request, reply, page: false });
      return { data: observation, entries: tlsEndpointEntries(observation) };
    },
  );
}
