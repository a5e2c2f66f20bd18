/**
 * The wire contract of the checker service (PROTOCOL.md), as schemas: every
 * request and response body. The service validates requests with them (a
 * malformed body is a 400 naming the field), its handlers are typed by them,
 * and the types below are their `Static`.
 */
import Type, { type Static } from 'typebox';
import { recordOf } from './json-schema.js';
import { ObservationSchema } from './observation.js';
import { CheckStateSchema } from './status.js';
import { DiscoveryEntrySchema } from './discovery.js';

/** The key our observation is stored under by the host, and looked up under in /evaluate. */
export const OBSERVATION_KEY = 'smtp';

// ---------------------------------------------------------------- shared pieces

/** Options as a host sends them: any JSON values, coerced and checked by the options parser, not here. */
const RawOptions = recordOf(Type.Unknown(), {
  description: 'Check options: any JSON values (a number may come as a string, a bool as "true").',
});

/** Go's client sends a nil options map as null (PROTOCOL.md): the same as none. */
const NullableOptions = Type.Union([RawOptions, Type.Null()], { description: 'The options; null means none.' });

const EnabledRules = recordOf(Type.Boolean(), {
  description: 'Rule name → on/off; absent means every rule. A rule mapped to false is not run, nor its probe sent.',
});

/**
 * Observations other checkers made of our discovery entries. Their items
 * are another program's data: the rules parse them defensively (missing,
 * stale or malformed), so the body schema does not judge them.
 */
const Related = recordOf(Type.Array(Type.Unknown()), {
  description: 'Related observations per key, e.g. {"tls_probes": [RelatedObservation…]}.',
});

export const CheckMetricSchema = Type.Object(
  {
    name: Type.String({ description: 'Series name, e.g. "smtp_endpoint_connect_ms".' }),
    value: Type.Number({ description: 'The sample.' }),
    unit: Type.Optional(Type.String({ description: 'Unit, e.g. "ms".' })),
    labels: Type.Optional(recordOf(Type.String(), { description: 'Series labels, e.g. {"family": "ipv4"}.' })),
    timestamp: Type.String({
      format: 'date-time',
      description: 'When it was measured: the collection time, RFC 3339.',
    }),
  },
  { description: 'One metric sample (PROTOCOL.md CheckMetric).' },
);
export type CheckMetric = Static<typeof CheckMetricSchema>;

export const ErrorResponseSchema = Type.Object(
  { error: Type.String({ description: 'What is wrong, in a sentence.' }) },
  { description: 'Any refused or failed request.' },
);
export type ErrorResponse = Static<typeof ErrorResponseSchema>;

// ---------------------------------------------------------------- GET /health

export const HealthResponseSchema = Type.Object({
  status: Type.Literal('ok'),
  uptime_seconds: Type.Number({ description: 'Seconds since the service started.' }),
  num_cpu: Type.Integer({ minimum: 1, description: 'CPUs available to the process.' }),
  inflight: Type.Integer({ minimum: 0, description: 'Work requests being served now.' }),
  total_requests: Type.Integer({ minimum: 0, description: 'Work requests served since start.' }),
  loadavg: Type.Array(Type.Number(), {
    minItems: 3,
    maxItems: 3,
    description: '1, 5 and 15-minute exponentially weighted averages of inflight, sampled every 5 s.',
  }),
});
export type HealthResponse = Static<typeof HealthResponseSchema>;

// ---------------------------------------------------------------- GET/POST /definition

export const OptionFieldSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.Enum(['string', 'number', 'uint', 'bool', 'object'], {
      description: 'Value type; "object" for a JSON object the host fills in (autoFill "service").',
    }),
    label: Type.Optional(Type.String()),
    placeholder: Type.Optional(Type.String()),
    default: Type.Optional(Type.Unknown()),
    choices: Type.Optional(Type.Array(Type.String())),
    required: Type.Optional(Type.Boolean()),
    secret: Type.Optional(Type.Boolean()),
    hide: Type.Optional(Type.Boolean()),
    textarea: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String()),
    autoFill: Type.Optional(
      Type.String({
        description: 'What the host fills in: domain_name, subdomain, zone, service_type, service, discovery_entries.',
      }),
    ),
    noOverride: Type.Optional(Type.Boolean()),
  },
  { description: 'One option a host can set or fill in (PROTOCOL.md OptionField).' },
);
export type OptionField = Static<typeof OptionFieldSchema>;

const Nanoseconds = (description: string) => Type.Integer({ minimum: 0, description });

const checkerDefinitionProperties = {
  id: Type.String(),
  name: Type.String(),
  version: Type.String(),
  availability: Type.Object({
    applyToDomain: Type.Optional(Type.Boolean()),
    applyToZone: Type.Optional(Type.Boolean()),
    applyToService: Type.Optional(Type.Boolean()),
    limitToProviders: Type.Optional(Type.Array(Type.String())),
    limitToServices: Type.Optional(Type.Array(Type.String())),
  }),
  options: Type.Object(
    {
      adminOpts: Type.Optional(Type.Array(OptionFieldSchema, { description: "Set by the deployment's admin." })),
      userOpts: Type.Optional(Type.Array(OptionFieldSchema, { description: 'Set by each user, stored.' })),
      domainOpts: Type.Optional(Type.Array(OptionFieldSchema, { description: 'Per domain; auto-filled here.' })),
      serviceOpts: Type.Optional(Type.Array(OptionFieldSchema, { description: 'Per service; auto-filled here.' })),
      runOpts: Type.Optional(Type.Array(OptionFieldSchema, { description: 'Per run, never stored by the host.' })),
    },
    { description: 'Options by the scope a host stores them at (PROTOCOL.md).' },
  ),
  rules: Type.Array(
    Type.Object({
      name: Type.String(),
      description: Type.String(),
      options: Type.Optional(Type.Array(OptionFieldSchema)),
    }),
  ),
  interval: Type.Object({
    min: Nanoseconds('Shortest interval between two checks, in nanoseconds.'),
    max: Nanoseconds('Longest interval worth monitoring, in nanoseconds.'),
    default: Nanoseconds('Suggested interval, in nanoseconds.'),
  }),
  has_html_report: Type.Boolean(),
  has_metrics: Type.Boolean(),
  observationKeys: Type.Array(Type.String()),
};

export const CheckerDefinitionSchema = Type.Object(checkerDefinitionProperties, {
  description: 'What this checker is (PROTOCOL.md GET /definition).',
});
export type CheckerDefinition = Static<typeof CheckerDefinitionSchema>;

const precheckProperties = {
  precheck_failures: recordOf(Type.String(), {
    description: 'Rule name → why it cannot run with these options.',
  }),
  eligible: Type.Optional(Type.Boolean({ description: 'Whether running the checker on this target makes sense.' })),
  eligibility_reason: Type.Optional(Type.String()),
};

export const PrecheckSchema = Type.Object(precheckProperties);
export type Precheck = Static<typeof PrecheckSchema>;

export const DefinitionRequestSchema = Type.Object(
  {
    options: Type.Optional(NullableOptions),
  },
  { description: 'POST /definition; an empty body means no options.' },
);
export type DefinitionRequest = Static<typeof DefinitionRequestSchema>;

export const DefinitionResponseSchema = Type.Object({ ...checkerDefinitionProperties, ...precheckProperties });
export type DefinitionResponse = Static<typeof DefinitionResponseSchema>;

// ---------------------------------------------------------------- POST /collect

export const CollectRequestSchema = Type.Object({
  key: Type.Optional(Type.String({ description: 'The observation key the host will store the answer under.' })),
  target: Type.Optional(
    Type.Object(
      {
        userId: Type.Optional(Type.String()),
        domainId: Type.Optional(Type.String()),
        serviceId: Type.Optional(Type.String()),
        serviceType: Type.Optional(Type.String()),
      },
      { description: 'What the host checks; informative only (options name the domain).' },
    ),
  ),
  options: Type.Optional(NullableOptions),
  enabledRules: Type.Optional(EnabledRules),
});
export type CollectRequest = Static<typeof CollectRequestSchema>;

export const CollectResponseSchema = Type.Object({
  data: ObservationSchema,
  entries: Type.Optional(Type.Array(DiscoveryEntrySchema)),
});
export type CollectResponse = Static<typeof CollectResponseSchema>;

// ---------------------------------------------------------------- POST /evaluate

export const EvaluateRequestSchema = Type.Object({
  observations: Type.Object(
    { [OBSERVATION_KEY]: ObservationSchema },
    { description: `Observations by key; ours is under "${OBSERVATION_KEY}", others are ignored.` },
  ),
  options: Type.Optional(NullableOptions),
  enabledRules: Type.Optional(EnabledRules),
  related: Type.Optional(Related),
});
export type EvaluateRequest = Static<typeof EvaluateRequestSchema>;

export const EvaluateResponseSchema = Type.Object({
  states: Type.Array(CheckStateSchema, { description: 'At least one per enabled rule, each naming its rule.' }),
});
export type EvaluateResponse = Static<typeof EvaluateResponseSchema>;

// ---------------------------------------------------------------- POST /report

export const ReportRequestSchema = Type.Object({
  key: Type.Optional(Type.String()),
  data: ObservationSchema,
  related: Type.Optional(Related),
  states: Type.Optional(
    Type.Array(CheckStateSchema, { description: 'States the host already computed; evaluated afresh when absent.' }),
  ),
});
export type ReportRequest = Static<typeof ReportRequestSchema>;

/** Without `Accept: text/html`; with it, the answer is the HTML document. */
export const ReportMetricsResponseSchema = Type.Array(CheckMetricSchema);

// ---------------------------------------------------------------- POST /check (the browser page)

export const CheckFormBodySchema = recordOf(Type.Union([Type.String(), Type.Array(Type.String())]), {
  description: 'The form, URL-encoded: field → value (a repeated field → its values).',
});
export type CheckFormBody = Static<typeof CheckFormBodySchema>;

// ---------------------------------------------------------------- GET /probe (Prometheus, blackbox_exporter style)

export const ProbeQuerySchema = Type.Object(
  {
    target: Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'The domain to check, as Prometheus sends it from the scrape config (`__param_target`).',
    }),
  },
  { description: 'The query of GET /probe; other parameters (module, …) are ignored.' },
);
export type ProbeQuery = Static<typeof ProbeQuerySchema>;
