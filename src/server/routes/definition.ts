/**
 * GET /definition: what this checker is. POST /definition: the same plus the
 * precheck of the given options (rules that cannot run, eligibility).
 */
import { CheckerDefinitionSchema, DefinitionRequestSchema, DefinitionResponseSchema } from '../../model/protocol.js';
import { checkerDefinition, precheck } from '../definition.js';
import type { ServiceApp, ServiceDeps } from '../service-deps.js';

export function registerDefinitionRoutes(app: ServiceApp, { work }: ServiceDeps): void {
  app.get('/definition', { schema: { response: { 200: CheckerDefinitionSchema } } }, async () => checkerDefinition());

  app.post(
    '/definition',
    { schema: { body: DefinitionRequestSchema, response: { 200: DefinitionResponseSchema } }, ...work },
    async (request) => ({ ...checkerDefinition(), ...precheck(request.body.options ?? {}) }),
  );
}
