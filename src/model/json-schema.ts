/**
 * Small helpers over TypeBox for the contract's schemas, and the step that
 * turns a schema built from them into a readable JSON Schema document.
 *
 * TypeBox builds plain JSON Schema objects whose static types follow along,
 * so a type and its schema are written once. Built that way, a shared type
 * (Reply, DnsFailure…) is repeated inline wherever it is used: fine for a
 * validator, unreadable in a published document. `definition()` marks such
 * a type with its name, and `withDefinitions()` lifts every marked subtree
 * into `$defs`, leaving a `$ref` (and the use's own description) in place.
 */
import { CheckerError } from './errors.js';
import Type, {
  type Static,
  type TNull,
  type TObject,
  type TObjectOptions,
  type TProperties,
  type TSchema,
  type TSchemaOptions,
  type TUnion,
  type TUnsafe,
} from 'typebox';

/**
 * Hidden property naming a definition. Non-enumerable, as TypeBox keeps its
 * own `~kind`: JSON.stringify and Ajv never see it, and copies made by
 * `described()` or TypeBox keep it.
 */
const DEFINITION = '~definition';
/** Hidden flag of a use that carries its own description, kept beside its `$ref` even when it repeats the definition's. */
const DESCRIBED = '~described';

interface DefinitionMark {
  name: string;
  /** The definition's own description, which uses may replace (see `described()`). */
  description: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function copyWithHidden<T extends TSchema>(schema: T): T {
  return Object.defineProperties({}, Object.getOwnPropertyDescriptors(schema)) as T;
}

/** Marks `schema` as the named definition `name` (a `$defs` entry in the published document). */
export function definition<T extends TSchema>(name: string, schema: T): T {
  const marked = copyWithHidden(schema);
  const mark: DefinitionMark = { name, description: (schema as { description?: unknown }).description };
  Object.defineProperty(marked, DEFINITION, { value: mark, enumerable: false });
  return marked;
}

/** The same schema with the description of one use of it ("When collection started." for a Timestamp). */
export function described<T extends TSchema>(schema: T, description: string): T {
  const copy = copyWithHidden(schema);
  Object.defineProperty(copy, 'description', { value: description, enumerable: true, writable: true });
  Object.defineProperty(copy, DESCRIBED, { value: true, enumerable: false });
  return copy;
}

/** `T | null`, as JSON Schema `anyOf`. */
export function nullable<T extends TSchema>(schema: T, description: string): TUnion<[T, TNull]> {
  return Type.Union([schema, Type.Null()], { description });
}

/** An object that refuses unlisted properties: a typo or a field from a newer version is an error, not ignored. */
export function closedObject<P extends TProperties>(properties: P, options: TObjectOptions = {}): TObject<P> {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

/**
 * A JSON object with any keys and values of one schema. TypeBox's Record
 * spells it `patternProperties: {"^.*$": …}`; `additionalProperties` says the
 * same in the form a person expects to read.
 */
export function recordOf<T extends TSchema>(
  value: T,
  options: TSchemaOptions = {},
): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ ...options, type: 'object', additionalProperties: value });
}

/** Keywords first in this order, the rest (nested schemas, `$defs`) after: a person reads the header first. */
const KEY_ORDER = [
  '$schema',
  '$id',
  '$ref',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'format',
  'pattern',
  'minLength',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'required',
  'additionalProperties',
];

function ordered(node: Record<string, Json>): Record<string, Json> {
  const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  return Object.fromEntries(Object.entries(node).sort(([a], [b]) => rank(a) - rank(b)));
}

/**
 * The JSON Schema document for `root`: `header` keywords first, every marked
 * definition lifted into `$defs` (sorted by name) and referenced by
 * `#/$defs/Name`. A use that carries its own description keeps it beside the
 * `$ref`. Two different schemas marked with one name are a bug, and throw.
 */
export function withDefinitions(root: TSchema, header: Record<string, string>): Record<string, Json> {
  const defs = new Map<string, Record<string, Json>>();

  const visit = (node: unknown, isRoot: boolean): Json => {
    if (Array.isArray(node)) return node.map((n) => visit(n, false));
    if (typeof node !== 'object' || node === null) return node as Json;
    const body: Record<string, Json> = {};
    for (const [k, v] of Object.entries(node)) body[k] = visit(v, false);
    const mark = (node as Record<string, unknown>)[DEFINITION] as DefinitionMark | undefined;
    if (mark === undefined || isRoot) return ordered(body);
    const def = definitionBody(mark, body, defs);
    const ref = `#/$defs/${mark.name}`;
    const ownDescription =
      (node as Record<string, unknown>)[DESCRIBED] === true || body['description'] !== def['description'];
    return ownDescription && body['description'] !== undefined
      ? { description: body['description'], $ref: ref }
      : { $ref: ref };
  };

  const document = { ...header, ...(visit(root, true) as Record<string, Json>) };
  const $defs = Object.fromEntries([...defs.entries()].sort(([a], [b]) => a.localeCompare(b)));
  return ordered({ ...document, ...(defs.size > 0 ? { $defs } : {}) });
}

/**
 * The `$defs` entry of a definition met while walking, with the definition's
 * own description whatever the use at hand replaced it with. Two different
 * schemas marked with one name are a bug in the contract's declaration.
 */
function definitionBody(
  mark: DefinitionMark,
  body: Record<string, Json>,
  defs: Map<string, Record<string, Json>>,
): Record<string, Json> {
  const { description: _use, ...rest } = body;
  const own = typeof mark.description === 'string' ? { description: mark.description } : {};
  const entry = ordered({ ...rest, ...own });
  const known = defs.get(mark.name);
  if (known === undefined) defs.set(mark.name, entry);
  else if (JSON.stringify(known) !== JSON.stringify(entry)) {
    throw new CheckerError(
      'schema.conflict',
      `Two different schemas are both marked as definition ${JSON.stringify(mark.name)}.`,
    );
  }
  return entry;
}
