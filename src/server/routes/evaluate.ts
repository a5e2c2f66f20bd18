/** POST /evaluate: the rules over our observation (pure: nothing is sent anywhere). */
import { quote } from '../../config/validate.js';
import type { SchemaProblem } from '../../model/ajv.js';
import { EvaluateRequestSchema, EvaluateResponseSchema, OBSERVATION_KEY } from '../../model/protocol.js';
import { bodyErrorFormatter } from '../error-handler.js';
import { HttpError } from '../http-error.js';
import type { ServiceApp, ServiceDeps } from '../service-deps.js';

const OBSERVATION_POINTER = `/observations/${OBSERVATION_KEY}`;
const formatObservationErrors = bodyErrorFormatter({ [OBSERVATION_POINTER]: `observations.${OBSERVATION_KEY}` });

/** A host that stored our observation under another key is told which keys it did send. */
function missingObservation(problem: SchemaProblem | undefined): HttpError | null {
  if (problem?.instancePath !== '/observations' || problem.params['missingProperty'] !== OBSERVATION_KEY) return null;
  const sent = typeof problem.data === 'object' && problem.data !== null ? Object.keys(problem.data) : [];
  return new HttpError(
    'http.body_invalid',
    `observations has no ${quote(OBSERVATION_KEY)} entry${sent.length ? ` (got ${sent.map(quote).join(', ')})` : ''}.`,
  );
}

export function registerEvaluateRoute(app: ServiceApp, { work, present }: ServiceDeps): void {
  app.post(
    '/evaluate',
    {
      schema: { body: EvaluateRequestSchema, response: { 200: EvaluateResponseSchema } },
      ...work,
      schemaErrorFormatter: (errors, dataVar) =>
        missingObservation(errors[0]) ?? formatObservationErrors(errors, dataVar),
    },
    async (request) => {
      const { observations, enabledRules, related } = request.body;
      const states = await present.run(observations[OBSERVATION_KEY], {
        kind: 'evaluate',
        ...(enabledRules ? { enabledRules } : {}),
        ...(related ? { related } : {}),
      });
      return { states };
    },
  );
}
