/**
 * Validation of an observation document against schema/observation.schema.json.
 *
 * The schema is read from the package at run time rather than imported, so the
 * one file shipped in `schema/` is the one used here (there is no second copy
 * to drift), whether we run from sources (src/) or compiled (dist/src/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './package-info.js';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';

export const OBSERVATION_SCHEMA_FILE = 'schema/observation.schema.json';

export interface SchemaValidation {
  ok: boolean;
  /** One line per problem: JSON pointer of the offending value, then what is wrong. */
  errors: string[];
}

export function loadObservationSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, OBSERVATION_SCHEMA_FILE), 'utf8')) as Record<string, unknown>;
}

// RFC 3339 date-time, as Date#toISOString() and the TLS layer produce. Ajv
// knows no formats without ajv-formats, and strict mode refuses unknown ones.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    // Strict mode: a typo in the schema is an error here, not a silently ignored keyword.
    const ajv = new Ajv2020.default({ strict: true, allErrors: true });
    ajv.addFormat('date-time', {
      type: 'string',
      validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
    });
    compiled = ajv.compile(loadObservationSchema());
  }
  return compiled;
}

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? '/' : e.instancePath;
  const extra = e.keyword === 'additionalProperties' ? ` "${String(e.params['additionalProperty'])}"` : '';
  return `${where}: ${e.message ?? e.keyword}${extra}`;
}

/** Checks a parsed JSON document against the observation schema. */
export function validateObservation(doc: unknown): SchemaValidation {
  const validate = validator();
  if (validate(doc)) return { ok: true, errors: [] };
  return { ok: false, errors: (validate.errors ?? []).map(describe) };
}
