/**
 * Validation of an observation document, and the published JSON Schema.
 *
 * Both come from the TypeBox schema in observation.ts: the validator compiles
 * it once, and `observationSchemaDocument()` is what `npm run schema` writes
 * to schema/observation.schema.json (a test fails when that file is stale).
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { createAjv, describeSchemaError } from './ajv.js';
import { withDefinitions } from './json-schema.js';
import { OBSERVATION_VERSION, ObservationSchema } from './observation.js';

export const OBSERVATION_SCHEMA_FILE = 'schema/observation.schema.json';

/** Header of the published document; the `$id` is a name, not a place to fetch from. */
const DOCUMENT_HEADER = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `https://checker-smtp.invalid/schema/observation-v${OBSERVATION_VERSION}.json`,
  title: `checker-smtp observation, version ${OBSERVATION_VERSION}`,
};

export interface SchemaValidation {
  ok: boolean;
  /** One line per problem: JSON pointer of the offending value, then what is wrong. */
  errors: string[];
}

/** The observation schema as a JSON Schema 2020-12 document, shared types under `$defs`. */
export function observationSchemaDocument(): Record<string, unknown> {
  return withDefinitions(ObservationSchema, DOCUMENT_HEADER);
}

let compiled: ValidateFunction | undefined;

/** Checks a parsed JSON document against the observation schema. */
export function validateObservation(doc: unknown): SchemaValidation {
  compiled ??= createAjv({ allErrors: true }).compile(ObservationSchema);
  if (compiled(doc)) return { ok: true, errors: [] };
  return { ok: false, errors: (compiled.errors ?? []).map((e) => describeSchemaError(e)) };
}
