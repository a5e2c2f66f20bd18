/**
 * GET /check: the form. POST /check: collect → evaluate → report → metrics on
 * one HTML page (evaluated and rendered in a worker thread when large). Errors, including a refused body, re-render the form with
 * the message and the error's status.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CheckFormBodySchema } from '../../model/protocol.js';
import { checkFormPage, formValues, parseCheckForm } from '../check-page.js';
import { errorAnswer } from '../error-handler.js';
import { runCollect } from '../run-collect.js';
import type { ServiceApp, ServiceDeps } from '../service-deps.js';

const page = (reply: FastifyReply, html: string | Buffer) => reply.type('text/html; charset=utf-8').send(html);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function registerCheckRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const needsToken = deps.settings.token !== null;
  const probeAddress = deps.settings.allowProbeAddress;
  const errorHandler = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, message } = errorAnswer(error, request);
    const values = request.method === 'POST' && isRecord(request.body) ? formValues(request.body) : undefined;
    return page(reply.code(status), checkFormPage({ values, error: message, needsToken, probeAddress }));
  };

  app.get('/check', { errorHandler }, async (_request, reply) =>
    page(reply, checkFormPage({ needsToken, probeAddress })),
  );

  app.post('/check', { schema: { body: CheckFormBodySchema }, ...deps.work, errorHandler }, async (request, reply) => {
    const form = parseCheckForm(request.body);
    const obs = await runCollect(deps, { options: form.options, request, reply, page: true });
    return page(
      reply,
      await deps.present.run(obs, { kind: 'check-page', values: form.values, needsToken, probeAddress }),
    );
  });
}
