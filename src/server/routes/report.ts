/**
 * POST /report: the HTML report (with `Accept: text/html`) or the metrics of
 * an observation, from the states the host sends or, without them, afresh.
 */
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ReportMetricsResponseSchema, ReportRequestSchema } from '../../model/protocol.js';
import { bodyErrorFormatter } from '../error-handler.js';
import type { ServiceApp, ServiceDeps } from '../service-deps.js';

function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/i.test(request.headers.accept ?? '');
}

export function registerReportRoute(app: ServiceApp, { work, present }: ServiceDeps): void {
  app.post(
    '/report',
    {
      schema: {
        body: ReportRequestSchema,
        response: {
          // The HTML document goes out as UTF-8 bytes (made in the worker for a large observation).
          200: Type.Union([ReportMetricsResponseSchema, Type.Unsafe<Buffer>({ description: 'The HTML document.' })]),
        },
      },
      ...work,
      schemaErrorFormatter: bodyErrorFormatter({ '/data': 'data' }),
    },
    async (request, reply) => {
      const { data, related, states } = request.body;
      const given = { ...(states ? { states } : {}), ...(related ? { related } : {}) };
      if (wantsHtml(request)) {
        const html = await present.run(data, { kind: 'report-html', ...given });
        return reply.type('text/html; charset=utf-8').send(html);
      }
      return present.run(data, { kind: 'report-metrics', ...given });
    },
  );
}
