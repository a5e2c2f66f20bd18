import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import type {
  DnsErrorCode,
  Observation,
  Phase,
  ProbeErrorCode,
  RrType,
  TransactionKind,
  TransactionOutcome,
} from '../src/model/observation.js';
import {
  OBSERVATION_SCHEMA_FILE,
  observationSchemaDocument,
  validateObservation,
} from '../src/model/observation-schema.js';
import { PACKAGE_ROOT } from '../src/model/package-info.js';
import { createAjv } from '../src/model/ajv.js';
import {
  endpoint,
  mxTarget,
  observation,
  reply,
  transaction,
  unreachableEndpoint,
  SYSTEM_RESOLVER,
} from './fixtures/observations.js';

/** The file as shipped in the package, for other tools. */
const committedText = readFileSync(join(PACKAGE_ROOT, OBSERVATION_SCHEMA_FILE), 'utf8');
const committed = JSON.parse(committedText) as Record<string, unknown>;
/** The published document compiled on its own, to prove it says what the validator says. */
const validateCommitted = createAjv({ allErrors: true }).compile(committed);

function assertValid(doc: Observation): void {
  // Through JSON, as the host stores and replays it.
  const json: unknown = JSON.parse(JSON.stringify(doc));
  const result = validateObservation(json);
  assert.deepEqual(result.errors, []);
  assert.equal(result.ok, true);
  assert.equal(validateCommitted(json), true, 'the committed schema file accepts it too');
}

function assertInvalid(doc: unknown, expected: RegExp): void {
  const result = validateObservation(doc);
  assert.equal(result.ok, false);
  assert.ok(
    result.errors.some((e) => expected.test(e)),
    `expected ${expected} among:\n${result.errors.join('\n')}`,
  );
  assert.equal(validateCommitted(doc), false, 'the committed schema file refuses it too');
}

const unreachable = unreachableEndpoint('192.0.2.20', 'connect.timeout', {
  reverse_dns: {
    ptr: [],
    ptr_error: { name: '20.2.0.192.in-addr.arpa', rrtype: 'PTR', code: 'SERVFAIL', message: 'queryPtr ESERVFAIL' },
    forward: [],
    fcrdns: false,
  },
});

describe('observation schema', () => {
  it('is committed exactly as `npm run schema` generates it from src/model/observation.ts', () => {
    assert.deepEqual(committed, observationSchemaDocument(), 'schema/observation.schema.json is stale: npm run schema');
    assert.equal(committedText, `${JSON.stringify(observationSchemaDocument(), null, 2)}\n`);
  });

  it('is a draft 2020-12 document with its $id, title and shared types under $defs', () => {
    assert.equal(committed['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(committed['$id'], 'https://checker-smtp.invalid/schema/observation-v3.json');
    assert.equal(committed['title'], 'checker-smtp observation, version 3');
    const defs = Object.keys(committed['$defs'] as object);
    for (const name of ['Timestamp', 'Reply', 'DnsFailure', 'EndpointProbe', 'ProbeError', 'TlsInfo'])
      assert.ok(defs.includes(name), `$defs has ${name}`);
  });

  it('compiles under Ajv 2020 strict mode', () => {
    const ajv = new Ajv2020.default({ strict: true });
    ajv.addFormat('date-time', true);
    assert.doesNotThrow(() => ajv.compile(committed));
  });

  it('is found from the package root', () => {
    const root = PACKAGE_ROOT;
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { name: string };
    assert.equal(pkg.name, 'checker-smtp');
  });

  it('describes every property', () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}/${i}`));
      if (typeof node !== 'object' || node === null) return;
      const props = (node as { properties?: Record<string, unknown> }).properties;
      for (const [name, p] of Object.entries(props ?? {})) {
        if (typeof (p as { description?: unknown }).description !== 'string')
          missing.push(`${path}/properties/${name}`);
      }
      for (const [k, v] of Object.entries(node)) walk(v, `${path}/${k}`);
    };
    walk(committed, '#');
    assert.deepEqual(missing, []);
  });

  it('accepts a healthy observation', () => assertValid(observation()));

  it('accepts a null MX with no endpoint', () =>
    assertValid(
      observation({
        dns: {
          source: 'live',
          resolver: SYSTEM_RESOLVER,
          resolver_check: null,
          mx_not_probed: [],
          mx_unlisted: 0,
          mx_error: null,
          null_mx: true,
          implicit_mx: false,
          mx: [],
        },
        endpoints: [],
      }),
    ));

  it('accepts an implicit MX', () =>
    assertValid(
      observation({
        dns: {
          source: 'live',
          resolver: SYSTEM_RESOLVER,
          resolver_check: null,
          mx_not_probed: [],
          mx_unlisted: 0,
          mx_error: null,
          null_mx: false,
          implicit_mx: true,
          mx: [mxTarget('example.com', { preference: 0, ipv4: ['192.0.2.10'], implicit: true })],
        },
        endpoints: [endpoint({ mx: ['example.com'] })],
      }),
    ));

  it('accepts an MX lookup failure and broken targets', () =>
    assertValid(
      observation({
        dns: {
          source: 'service',
          resolver: SYSTEM_RESOLVER,
          resolver_check: null,
          mx_not_probed: [],
          mx_unlisted: 0,
          mx_error: { name: 'example.com', rrtype: 'MX', code: 'SERVFAIL', message: 'queryMx ESERVFAIL example.com' },
          null_mx: false,
          implicit_mx: false,
          mx: [
            mxTarget('192.0.2.1', { ip_literal: true }),
            mxTarget('alias.example.com', { cname_chain: ['real.example.net'], ipv4: ['198.51.100.1'] }),
            mxTarget('gone.example.com', {
              errors: [{ name: 'gone.example.com', rrtype: 'A', code: 'NXDOMAIN', message: 'queryA ENOTFOUND' }],
            }),
          ],
        },
        endpoints: [],
      }),
    ));

  it('accepts an unreachable endpoint with its error', () =>
    assertValid(observation({ endpoints: [endpoint(), unreachable] })));

  it('accepts an endpoint without TLS information', () =>
    assertValid(
      observation({
        endpoints: [
          endpoint({
            starttls: {
              offered: true,
              attempted: true,
              reply: reply(220, '2.0.0 Ready'),
              ok: false,
              discarded_bytes: 17,
              plaintext_refused: null,
              tls: null,
              error: { code: 'tls.handshake', phase: 'tls', message: 'wrong version number' },
            },
            ehlo_tls: null,
            extensions_tls: null,
            error: { code: 'tls.handshake', phase: 'tls', message: 'wrong version number' },
          }),
        ],
      }),
    ));

  it('accepts skipped transactions and a HELO fallback', () =>
    assertValid(
      observation({
        endpoints: [
          endpoint({
            ehlo: reply(502, '5.5.2 Error: command not recognized'),
            helo_fallback: true,
            helo: reply(250, 'mx1.example.com'),
            extensions: null,
            starttls: {
              offered: false,
              attempted: false,
              reply: null,
              ok: false,
              discarded_bytes: 0,
              plaintext_refused: null,
              tls: null,
              error: null,
            },
            ehlo_tls: null,
            extensions_tls: null,
            pipelined: false,
            transactions: [
              transaction('null_sender', 'tempfail'),
              transaction('postmaster', 'error'),
              transaction('open_relay', 'skipped'),
            ],
          }),
        ],
      }),
    ));

  it('rejects a missing field', () => {
    const doc = JSON.parse(JSON.stringify(observation())) as Record<string, unknown>;
    delete doc['duration_ms'];
    assertInvalid(doc, /^\/: must have required property 'duration_ms'/);
  });

  it('rejects a missing nested field', () => {
    const doc = JSON.parse(JSON.stringify(observation())) as { endpoints: Record<string, unknown>[] };
    delete doc.endpoints[1]!['reverse_dns'];
    assertInvalid(doc, /^\/endpoints\/1: must have required property 'reverse_dns'/);
  });

  it('rejects an extra field, even deep down', () => {
    assertInvalid({ ...observation(), verdict: 'OK' }, /^\/: must NOT have additional properties "verdict"/);
    const ep = endpoint();
    const tls = { ...ep.starttls.tls!, alpn: 'smtp' };
    assertInvalid(
      observation({ endpoints: [{ ...ep, starttls: { ...ep.starttls, tls } }] }),
      /^\/endpoints\/0\/starttls\/tls: must NOT have additional properties "alpn"/,
    );
  });

  it('rejects another version, the previous one included', () => {
    assertInvalid({ ...observation(), version: 2 }, /^\/version: must be equal to constant/);
    assertInvalid({ ...observation(), version: 4 }, /^\/version: must be equal to constant/);
  });

  it('rejects values outside the enums and bad timestamps', () => {
    const ep = endpoint({ error: { code: 'connect.refused', phase: 'data' as Phase, message: 'x' } });
    assertInvalid(
      observation({ endpoints: [ep] }),
      /^\/endpoints\/0\/error\/phase: must be equal to one of the allowed values/,
    );
    assertInvalid({ ...observation(), collected_at: 'yesterday' }, /^\/collected_at: must match format "date-time"/);
    assertInvalid(
      observation({ endpoints: [endpoint({ family: 5 as 4 })] }),
      /^\/endpoints\/0\/family: must be equal to one of/,
    );
  });

  it('rejects a non-object', () => assertInvalid(null, /^\/: must be object/));
});

/*
 * Enums drift silently: adding a phase to observation.ts changes no fixture.
 * Each list below must name every member of its TS union (the `satisfies`
 * and `Exact` checks fail typechecking otherwise), and must equal the schema's.
 */
type Exact<T, U extends readonly T[]> = [T] extends [U[number]] ? U : never;
const PHASES = [
  'connect',
  'greeting',
  'ehlo',
  'helo',
  'starttls',
  'tls',
  'ehlo_tls',
  'null_sender',
  'postmaster',
  'open_relay',
  'quit',
] as const satisfies readonly Phase[];
const PROBE_ERROR_CODES = [
  'connect.refused',
  'connect.timeout',
  'connect.unreachable',
  'connect.error',
  'policy.refused',
  'policy.capped',
  'queue.timeout',
  'skipped',
  'cancelled',
  'deadline',
  'timeout',
  'closed',
  'reset',
  'reply.malformed',
  'reply.line_too_long',
  'reply.too_many_lines',
  'bytes_exceeded',
  'tls.handshake',
  'error',
] as const satisfies readonly ProbeErrorCode[];
const DNS_ERROR_CODES = [
  'NXDOMAIN',
  'NODATA',
  'SERVFAIL',
  'REFUSED',
  'TIMEOUT',
  'ERROR',
] as const satisfies readonly DnsErrorCode[];
const RR_TYPES = ['MX', 'A', 'AAAA', 'CNAME', 'PTR', 'SOA'] as const satisfies readonly RrType[];
const KINDS = ['null_sender', 'postmaster', 'open_relay'] as const satisfies readonly TransactionKind[];
const OUTCOMES = [
  'accepted',
  'rejected',
  'tempfail',
  'error',
  'skipped',
] as const satisfies readonly TransactionOutcome[];

const ENUMS: Record<string, readonly string[]> = {
  Phase: PHASES satisfies Exact<Phase, typeof PHASES>,
  ProbeErrorCode: PROBE_ERROR_CODES satisfies Exact<ProbeErrorCode, typeof PROBE_ERROR_CODES>,
  DnsErrorCode: DNS_ERROR_CODES satisfies Exact<DnsErrorCode, typeof DNS_ERROR_CODES>,
  RrType: RR_TYPES satisfies Exact<RrType, typeof RR_TYPES>,
  TransactionKind: KINDS satisfies Exact<TransactionKind, typeof KINDS>,
  TransactionOutcome: OUTCOMES satisfies Exact<TransactionOutcome, typeof OUTCOMES>,
};

describe('observation schema enums', () => {
  const defs = committed['$defs'] as Record<string, { enum?: unknown[] }>;
  for (const [name, values] of Object.entries(ENUMS)) {
    it(`lists exactly the ${name} members of observation.ts`, () => {
      assert.deepEqual([...(defs[name]?.enum ?? [])].sort(), [...values].sort());
    });
  }
});
