/** The schema helpers and the step that makes a readable document of a TypeBox schema. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { CheckerError } from './errors.js';
import { closedObject, definition, described, nullable, recordOf, withDefinitions } from './json-schema.js';

const Reply = definition('Reply', closedObject({ code: Type.Integer() }, { description: 'One SMTP reply.' }));

test('withDefinitions() lifts each marked schema into $defs once and refers to it by $ref', () => {
  const root = closedObject({
    greeting: nullable(Reply, 'The greeting.'),
    quit: Reply,
    replies: Type.Array(Reply, { description: 'All of them.' }),
  });
  const doc = withDefinitions(root, { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'T' });
  assert.deepEqual(doc, {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'T',
    type: 'object',
    required: ['greeting', 'quit', 'replies'],
    additionalProperties: false,
    properties: {
      greeting: { description: 'The greeting.', anyOf: [{ $ref: '#/$defs/Reply' }, { type: 'null' }] },
      quit: { $ref: '#/$defs/Reply' },
      replies: { description: 'All of them.', type: 'array', items: { $ref: '#/$defs/Reply' } },
    },
    $defs: {
      Reply: {
        description: 'One SMTP reply.',
        type: 'object',
        required: ['code'],
        additionalProperties: false,
        properties: { code: { type: 'integer' } },
      },
    },
  });
});

test('withDefinitions() keeps the description of a described use beside its $ref, and the definition its own', () => {
  const root = Type.Object({ stamp: described(Reply, 'When it came.'), same: described(Reply, 'One SMTP reply.') });
  const doc = withDefinitions(root, {}) as { properties: Record<string, unknown>; $defs: Record<string, unknown> };
  assert.deepEqual(doc.properties['stamp'], { description: 'When it came.', $ref: '#/$defs/Reply' });
  assert.deepEqual(doc.properties['same'], { description: 'One SMTP reply.', $ref: '#/$defs/Reply' });
  assert.equal((doc.$defs['Reply'] as { description: string }).description, 'One SMTP reply.');
});

test('withDefinitions() refuses two different schemas under one name', () => {
  const other = definition('Reply', closedObject({ text: Type.String() }));
  assert.throws(
    () => withDefinitions(Type.Object({ a: Reply, b: other }), {}),
    (err: unknown) => err instanceof CheckerError && err.code === 'schema.conflict' && /"Reply"/.test(err.message),
  );
});

test('the helpers leave no trace in JSON: marks are hidden properties', () => {
  assert.equal(JSON.stringify(described(Reply, 'x')).includes('~'), false);
  assert.deepEqual(JSON.parse(JSON.stringify(recordOf(Type.String(), { description: 'Names.' }))), {
    description: 'Names.',
    type: 'object',
    additionalProperties: { type: 'string' },
  });
});
