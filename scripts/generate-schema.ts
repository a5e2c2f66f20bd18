/**
 * `npm run schema`: writes schema/observation.schema.json from the TypeBox
 * schema in src/model/observation.ts. The file is committed for tools that
 * read JSON Schema; test/schema.test.ts fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/model/package-info.js';
import { OBSERVATION_SCHEMA_FILE, observationSchemaDocument } from '../src/model/observation-schema.js';

const file = join(PACKAGE_ROOT, OBSERVATION_SCHEMA_FILE);
writeFileSync(file, `${JSON.stringify(observationSchemaDocument(), null, 2)}\n`);
console.log(`Wrote ${OBSERVATION_SCHEMA_FILE}.`);
