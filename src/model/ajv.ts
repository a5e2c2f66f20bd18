/**
 * The one Ajv configuration our schemas are compiled with, by the library's
 * validateObservation() and by the web service alike, so a document is
 * judged the same way everywhere.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv/dist/2020.js';
import { quoteAtMost } from './text.js';

export type { ErrorObject };
export type Ajv = InstanceType<typeof Ajv2020.default>;

// RFC 3339 date-time, as Date#toISOString() and the TLS layer produce. Ajv
// knows no formats without ajv-formats, and strict mode refuses unknown ones.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export interface AjvOptions {
  /** Every problem (a report for a person), or stop at the first (a request answered 400). */
  allErrors: boolean;
  /** Keep the offending value in each error, for messages that quote it. */
  verbose?: boolean;
}

export function createAjv({ allErrors, verbose = false }: AjvOptions): Ajv {
  // Strict mode: a typo in a schema is an error at compile time, not a silently ignored keyword.
  // No type coercion, no defaults, no removal: a JSON body is judged as sent.
  const ajv = new Ajv2020.default({ strict: true, allErrors, verbose, coerceTypes: false, useDefaults: false });
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
  });
  return ajv;
}

/** The parts of an Ajv error we read (fastify hands them over with the same fields). */
export type SchemaProblem = Pick<ErrorObject, 'instancePath' | 'keyword' | 'message'> & {
  params: Record<string, unknown>;
  /** The offending value, when Ajv runs verbose. */
  data?: unknown;
};

/** A quoted value is cut here: enough to recognise it, not a dump of the body. */
const MAX_QUOTED_CHARS = 40;

function quoteValue(value: unknown): string | null {
  if (typeof value === 'string') {
    return quoteAtMost(value, MAX_QUOTED_CHARS);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return null;
}

/**
 * What is wrong, naming an unexpected property (`must NOT have additional
 * properties "verdict"`), listing the allowed values of an enum, and quoting
 * a wrong scalar when Ajv kept it (`must be string, got 123`).
 */
export function schemaProblem(e: SchemaProblem): string {
  let text = e.message ?? e.keyword;
  if (e.keyword === 'additionalProperties') text += ` "${String(e.params['additionalProperty'])}"`;
  const allowed = e.params['allowedValues'];
  if (e.keyword === 'enum' && Array.isArray(allowed)) text += ` (${allowed.map((v) => quoteValue(v)).join(', ')})`;
  const got = e.keyword === 'required' || e.keyword === 'additionalProperties' ? null : quoteValue(e.data);
  return got === null ? text : `${text}, got ${got}`;
}

/**
 * One line for one problem: the JSON pointer of the offending value below
 * `root` ("/" for `root` itself), then what is wrong.
 */
export function describeSchemaError(e: SchemaProblem, root = ''): string {
  const path = e.instancePath.startsWith(root) ? e.instancePath.slice(root.length) : e.instancePath;
  return `${path === '' ? '/' : path}: ${schemaProblem(e)}`;
}
