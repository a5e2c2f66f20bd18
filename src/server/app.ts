/**
 * The HTTP checker service (PROTOCOL.md), built without listening so tests
 * drive it in-process with `inject()`. Thin by design: each route validates
 * its body against a schema, calls collect / evaluate / report, and answers
 * JSON (`{error}` on failure) or, for the browser page, HTML.
 */
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import { availableParallelism } from 'node:os';
import { collect } from '../collect/collect.js';
import { createConnectionGate, type ConnectionGate } from '../collect/connection-gate.js';
import { createDnsClient, type DnsClient } from '../collect/dns/dns-client.js';
import { tlsEndpointEntries } from '../model/discovery.js';
import { CheckerError, OptionError } from '../model/errors.js';
import { metricsOf } from '../presentation/metrics.js';
import type { Observation } from '../model/observation.js';
import { validateObservation } from '../model/observation-schema.js';
import { evaluate, probesToSkip } from '../rules/index.js';
import type { CheckState } from '../model/status.js';
import { publicTargetsOnly } from '../collect/target-policy.js';
import { defaultTrustStore } from '../collect/tls/trust-store.js';
import { isWithinDomain, quote, validateHostname } from '../config/validate.js';
import { renderReport } from '../presentation/html/render-report.js';
import { bearerToken, TOKEN_COOKIE, TOKEN_FIELD, tokenMatches } from './access-token.js';
import { checkerDefinition, OBSERVATION_KEY, precheck } from './definition.js';
import { WorkTracker } from './load-average.js';
import { parseMxService } from '../config/mx-service.js';
import { checkFormPage, checkResultPage, formValues, parseCheckForm, type CheckForm } from './check-page.js';
import { RATE_LIMIT_WINDOW_MS, type ServiceSettings } from '../config/service-settings.js';

/** PROTOCOL.md: request bodies over 1 MiB are refused with 400. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface AppOptions {
  settings: Omit<ServiceSettings, 'listen' | 'drainTimeoutS'>;
  /** Fastify logger setting: false in tests, pino options (JSON lines on stdout) when serving. */
  logger?: boolean | Record<string, unknown>;
  /** Injected by tests: a DNS client and trust store; created from settings otherwise. */
  dns?: DnsClient;
  trustStore?: string[];
  gate?: ConnectionGate;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Counted in /health's inflight, total and load averages, and rate-limited. */
    work?: boolean;
  }
}

const anyObject = { type: 'object' } as const;
const enabledRulesSchema = { type: 'object', additionalProperties: { type: 'boolean' } } as const;
const relatedSchema = { type: 'object', additionalProperties: { type: 'array' } } as const;

const COLLECT_BODY = {
  type: 'object',
  properties: { key: { type: 'string' }, target: anyObject, options: anyObject, enabledRules: enabledRulesSchema },
} as const;
const EVALUATE_BODY = {
  type: 'object',
  required: ['observations'],
  properties: { observations: anyObject, options: anyObject, enabledRules: enabledRulesSchema, related: relatedSchema },
} as const;
const REPORT_BODY = {
  type: 'object',
  required: ['data'],
  properties: {
    key: { type: 'string' },
    data: anyObject,
    related: relatedSchema,
    states: { type: 'array', items: anyObject },
  },
} as const;
const DEFINITION_BODY = { type: 'object', properties: { options: anyObject } } as const;

type Body = Record<string, unknown>;

/** A request error with its HTTP status; the message is shown to the caller as is. */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

function observationFrom(doc: unknown, where: string): Observation {
  const v = validateObservation(doc);
  if (!v.ok)
    throw new HttpError(400, `${where} is not a checker-smtp observation: ${v.errors.slice(0, 3).join('; ')}.`);
  return doc as Observation;
}

function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/i.test(request.headers.accept ?? '');
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { settings } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    // One line per request, written by our onResponse hook; fastify's own pair of lines is off.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    return503OnClosing: true,
  });
  const tracker = new WorkTracker();
  const started = Date.now();
  const dns = options.dns ?? createDnsClient({ resolver: settings.resolver });
  const trustStore = options.trustStore ?? defaultTrustStore();
  const gate =
    options.gate ??
    createConnectionGate({ maxOpen: settings.maxConnections, perAddress: settings.connectionsPerAddress });
  app.addHook('onClose', async () => tracker.stop());
  // Draining: answers still in flight when close() starts end their connection, so a
  // keep-alive client cannot hold the process open until its idle timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  // An empty body is allowed (POST /definition); anything else must be JSON, parsed with fastify's poisoning guards.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') return done(null, {});
    void jsonParser(request, body as string, (err, parsed) =>
      err ? done(new HttpError(400, `Request body is not valid JSON: ${err.message}`), undefined) : done(null, parsed),
    );
  });
  await app.register(formbody, { bodyLimit: MAX_BODY_BYTES });
  await app.register(cookie);
  if (settings.rateLimitPerMinute !== null) {
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) =>
        new HttpError(
          429,
          `Too many requests: at most ${context.max} checks per minute per client; retry in ${Math.ceil(context.ttl / 1000)} s.`,
        ),
    });
  }

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.work) tracker.begin();
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.config.work) tracker.end();
    request.log.info(
      {
        method: request.method,
        path: request.url,
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });

  if (settings.token !== null) {
    const token = settings.token;
    // preValidation: after the body is parsed (the form may carry the token), before it is validated (no leak of schema errors).
    app.addHook('preValidation', async (request, reply) => {
      if (request.routeOptions.url === '/health' || request.routeOptions.url === undefined) return;
      if (tokenMatches(token, bearerToken(request.headers.authorization))) return;
      if (request.routeOptions.url === '/check') {
        if (tokenMatches(token, request.cookies[TOKEN_COOKIE])) return;
        const form = request.body as Body | undefined;
        if (request.method === 'POST' && tokenMatches(token, form?.[TOKEN_FIELD])) {
          reply.setCookie(TOKEN_COOKIE, token, { path: '/check', httpOnly: true, sameSite: 'strict', secure: 'auto' });
          return;
        }
        const given = request.method === 'POST' && form?.[TOKEN_FIELD] !== undefined && form[TOKEN_FIELD] !== '';
        const values = request.method === 'POST' ? formValues(form ?? {}) : undefined;
        return reply
          .code(401)
          .type('text/html; charset=utf-8')
          .send(
            checkFormPage({
              values,
              error: given ? 'That access token is not valid.' : 'This checker needs an access token.',
              needsToken: true,
            }),
          );
      }
      reply.header('www-authenticate', 'Bearer realm="checker-smtp"');
      return reply.code(401).send({ error: 'Missing or invalid access token: send "Authorization: Bearer <token>".' });
    });
  }

  app.setErrorHandler((error: FastifyError | HttpError | Error, request, reply) => {
    const { status, message } = describeError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    if (request.routeOptions.url === '/check') {
      const values = request.method === 'POST' ? formValues((request.body as Body | undefined) ?? {}) : undefined;
      return reply
        .code(status)
        .type('text/html; charset=utf-8')
        .send(checkFormPage({ values, error: message, needsToken: settings.token !== null }));
    }
    return reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `No route ${request.method} ${request.url.split('?')[0]}.` }),
  );

  /** Refuse domains outside the allow-list before anything is sent. */
  function checkAllowed(domain: string): void {
    const allowed = settings.allowedDomains;
    if (allowed && !allowed.some((a) => isWithinDomain(domain, a))) {
      throw new HttpError(403, `Domain ${quote(domain)} is not in this checker's list of allowed domains.`);
    }
  }

  /** Options as the host or form sent them, with the MX service applied: the zone becomes the domain, its MX records the plan. */
  async function runCollect(
    raw: Body,
    enabledRules: Record<string, boolean> | undefined,
    refusePrivate: boolean,
  ): Promise<Observation> {
    const domain = typeof raw['domain'] === 'string' ? validateHostname(raw['domain'].trim()) : null;
    const service = domain?.ok ? parseMxService(raw['service'], domain.value) : null;
    const rawOptions = service ? { ...raw, domain: service.zone } : raw;
    if (domain?.ok) checkAllowed(service?.zone ?? domain.value);
    return collect(rawOptions, {
      port: settings.smtpPort,
      dns,
      trustStore,
      gate,
      ...(service && service.records.length > 0 ? { mx: service.records } : {}),
      ...(enabledRules ? { skipProbes: probesToSkip(enabledRules) } : {}),
      ...(refusePrivate ? { targetPolicy: publicTargetsOnly } : {}),
    });
  }

  app.get('/health', async () => ({
    status: 'ok',
    uptime_seconds: (Date.now() - started) / 1000,
    num_cpu: availableParallelism(),
    inflight: tracker.inflight,
    total_requests: tracker.total,
    loadavg: tracker.loadavg(),
  }));

  app.get('/definition', async () => checkerDefinition());

  // Work routes are counted in /health and share one rate-limit budget per client (one limiter, one store).
  const limiter =
    settings.rateLimitPerMinute === null
      ? null
      : app.rateLimit({ max: settings.rateLimitPerMinute, timeWindow: RATE_LIMIT_WINDOW_MS });
  const work = { config: { work: true }, ...(limiter ? { onRequest: limiter } : {}) };

  app.post('/definition', { schema: { body: DEFINITION_BODY }, ...work }, async (request) => {
    const body = (request.body ?? {}) as Body;
    return { ...checkerDefinition(), ...precheck((body['options'] as Body | undefined) ?? {}) };
  });

  app.post('/collect', { schema: { body: COLLECT_BODY }, ...work }, async (request) => {
    const body = (request.body ?? {}) as Body;
    const observation = await runCollect(
      (body['options'] as Body | undefined) ?? {},
      body['enabledRules'] as Record<string, boolean> | undefined,
      settings.refusePrivateOnProtocol,
    );
    return { data: observation, entries: tlsEndpointEntries(observation) };
  });

  app.post('/evaluate', { schema: { body: EVALUATE_BODY }, ...work }, async (request) => {
    const body = request.body as Body;
    const observations = body['observations'] as Body;
    if (!(OBSERVATION_KEY in observations)) {
      const keys = Object.keys(observations);
      throw new HttpError(
        400,
        `observations has no ${quote(OBSERVATION_KEY)} entry${keys.length ? ` (got ${keys.map(quote).join(', ')})` : ''}.`,
      );
    }
    const obs = observationFrom(observations[OBSERVATION_KEY], `observations.${OBSERVATION_KEY}`);
    const enabledRules = body['enabledRules'] as Record<string, boolean> | undefined;
    const related = body['related'] as Record<string, unknown[]> | undefined;
    return { states: evaluate(obs, { ...(enabledRules ? { enabledRules } : {}), ...(related ? { related } : {}) }) };
  });

  app.post('/report', { schema: { body: REPORT_BODY }, ...work }, async (request, reply) => {
    const body = request.body as Body;
    const obs = observationFrom(body['data'], 'data');
    const related = body['related'] as Record<string, unknown[]> | undefined;
    const states = (body['states'] as CheckState[] | undefined) ?? evaluate(obs, related ? { related } : {});
    if (wantsHtml(request)) {
      return reply
        .type('text/html; charset=utf-8')
        .send(renderReport(obs, { states, ...(related ? { related } : {}) }));
    }
    return metricsOf(obs, states);
  });

  const page = (reply: FastifyReply, html: string) => reply.type('text/html; charset=utf-8').send(html);

  app.get('/check', async (_request, reply) => page(reply, checkFormPage({ needsToken: settings.token !== null })));

  app.post('/check', work, async (request, reply) => {
    let form: CheckForm;
    try {
      form = parseCheckForm((request.body ?? {}) as Body);
    } catch (err) {
      if (!(err instanceof OptionError)) throw err;
      throw new HttpError(400, err.message);
    }
    const obs = await runCollect(form.options, undefined, settings.refusePrivateOnCheckPage);
    const states = evaluate(obs);
    return page(
      reply,
      checkResultPage({
        values: form.values,
        obs,
        states,
        metrics: metricsOf(obs, states),
        needsToken: settings.token !== null,
      }),
    );
  });

  return app;
}

function describeError(error: FastifyError | HttpError | Error): { status: number; message: string } {
  if (error instanceof HttpError) return { status: error.statusCode, message: error.message };
  if (error instanceof OptionError) return { status: 400, message: error.message };
  if (error instanceof CheckerError) return { status: 400, message: error.message };
  const fe = error as FastifyError;
  if (fe.validation) return { status: 400, message: `Invalid request: ${fe.message}.` };
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { status: 400, message: `Request body is larger than ${MAX_BODY_BYTES} bytes (1 MiB).` };
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return { status: 415, message: `Unsupported content type: send application/json (or a form to /check).` };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return { status: fe.statusCode, message: fe.message };
  return { status: 500, message: `Internal error: ${error.message}` };
}
