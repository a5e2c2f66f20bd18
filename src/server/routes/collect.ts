/**
 * POST /collect: probe the domain the options name; answer the observation
 * and its discovery entries, serialised a piece at a time.
 */
import { tlsEndpointEntries } from '../../model/discovery.js';
import { CollectRequestSchema, CollectResponseSchema, type CollectResponse } from '../../model/protocol.js';
import { runCollect } from '../run-collect.js';
import { observationJson } from '../observation-json.js';
import { Readable } from 'node:stream';
import type { ServiceApp, ServiceDeps } from '../service-deps.js';

export function registerCollectRoute(app: ServiceApp, deps: ServiceDeps): void {
  app.post(
    '/collect',
    { schema: { body: CollectRequestSchema, response: { 200: CollectResponseSchema } }, ...deps.work },
    async (request, reply) => {
      const { options, enabledRules } = request.body;
      const observation = await runCollect(deps, { options: options ?? {}, enabledRules, request, reply, page: false });
      const entries = tlsEndpointEntries(observation);
      // Written an endpoint at a time: a large observation never holds the event loop for long.
      const body = observationJson(observation, (data) => ({ data, entries }) satisfies CollectResponse);
      // A stream bypasses the serializer; its text is CollectResponseSchema's, as observationJson() proves.
      return reply.type('application/json; charset=utf-8').send(Readable.from(body) as unknown as CollectResponse);
    },
  );
}
