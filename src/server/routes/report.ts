/**
 * POST /report: the HTML report (with `Accept: text/html`) or the metrics of
 * an observation, from the states the host sends or, without them, afresh.
 */
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ReportMetricsResponseSchema, ReportRequestSchema } from '../../model/protocol.js';
import { renderReport } from '../../presentation/html/render-report.js';
import { metricsOf } from '../../presentation/metrics.js';
import { evaluate } from '../../rules/index.js';
import { bodyErrorFormatter } from '../error-handler.js';
import type { ServiceApp, ServiceDeps } from '../service-deps.js';

function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/i.test(request.headers.accept ?? '');
}

export function registerReportRoute(app: ServiceApp, { work }: ServiceDeps): void {
  app.post(
    '/report',
    {
      schema: {
        body: ReportRequestSchema,
        response: {
          200: Type.Union([ReportMetricsResponseSchema, Type.String({ description: 'The HTML document.' })]),
        },
      },
      ...work,
      schemaErrorFormatter: bodyErrorFormatter({ '/data': 'data' }),
    },
    async (request, reply) => {
      const { data, related, states: given } = request.body;
      const states = given ?? evaluate(data, related ? { related } : {});
      if (wantsHtml(request)) {
        return reply
          .type('text/html; charset=utf-8')
          .send(renderReport(data, { states, ...(related ? { related } : {}) }));
      }
      return metricsOf(data, states);
    },
  );
}
