/**
 * The HTTP checker service (PROTOCOL.md), built without listening so tests
 * drive it in-process with `inject()`. This file only assembles it: fastify,
 * the dependencies every route shares, the guards and the route modules.
 * Each route declares its body with the schemas of src/model/protocol.ts, so
 * a malformed body is a 400 naming the field before any handler runs.
 */
import Fastify, { LogController } from 'fastify';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createConnectionGate, type ConnectionGate } from '../collect/connection-gate.js';
import { createDnsClient, type DnsClient } from '../collect/dns/dns-client.js';
import { defaultTrustStore } from '../collect/tls/trust-store.js';
import { publicTargetsOnly, type TargetPolicy } from '../collect/target-policy.js';
import { createAjv, type Ajv } from '../model/ajv.js';
import { registerBodyParsers } from './body-parsers.js';
import { bodyErrorFormatter, registerErrorHandlers } from './error-handler.js';
import { MAX_BODY_BYTES } from './http-error.js';
import { HTTP_DEADLINE_CHECK_INTERVAL_MS } from '../model/limits.js';
import { registerAccessToken } from './guards/access-token.js';
import { registerRateLimit } from './guards/rate-limit.js';
import { registerWorkTracker } from './guards/work-tracker.js';
import { WorkTracker } from './load-average.js';
import { registerDrain } from './drain.js';
import { EndpointBudget } from './endpoint-budget.js';
import { ClientChecks } from './client-checks.js';
import { capConnections, type ConnectionCaps } from './guards/connection-caps.js';
import { registerSecurityHeaders } from './security-headers.js';
import { clientErrorHandler } from './client-errors.js';
import { createPresenter, type PresenterOptions } from './present/presenter.js';
import { registerRequestLog } from './request-log.js';
import { registerCheckRoutes } from './routes/check.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerProbeRoute } from './routes/probe.js';
import { ServiceMetrics } from './service-metrics.js';
import { registerCollectRoute } from './routes/collect.js';
import { registerDefinitionRoutes } from './routes/definition.js';
import { registerEvaluateRoute } from './routes/evaluate.js';
import { registerHealthRoute } from './routes/health.js';
import { registerReportRoute } from './routes/report.js';
import type { AppSettings, ServiceApp, ServiceDeps } from './service-deps.js';

export { MAX_BODY_BYTES };

declare module 'fastify' {
  interface FastifyInstance {
    /** Open and refused client connections (guards/connection-caps.ts). */
    connectionCaps: ConnectionCaps;
  }
}
export type { ServiceApp };

export interface AppOptions {
  settings: AppSettings;
  /** Fastify logger setting: false in tests, pino options (JSON lines on stdout) when serving. */
  logger?: boolean | Record<string, unknown>;
  /** Injected by tests: a DNS client and trust store; created from settings otherwise. */
  dns?: DnsClient;
  trustStore?: string[];
  gate?: ConnectionGate;
  /** Aborted by `serve` when its drain deadline passes: collects still running are cut and answered. */
  shutdown?: AbortSignal;
  /** Tests: where evaluation and rendering move to a worker thread. */
  present?: PresenterOptions;
  /** Replaces the target policy of the settings (`serve --demo`: the demo world's addresses only). */
  targetPolicy?: TargetPolicy;
  /** `serve --demo`: the simulated domains the /check page offers under its form. */
  demoDomains?: readonly string[];
}

let bodyAjv: Ajv | undefined;

/**
 * Bodies are judged by the same Ajv configuration as validateObservation():
 * no coercion, one error is enough for a 400 (verbose: the offending value,
 * for messages that quote it). One instance for every app of the process:
 * the schemas are constants, and Ajv compiles each only once.
 */
function bodyValidator(): Ajv {
  bodyAjv ??= createAjv({ allErrors: false, verbose: true });
  return bodyAjv;
}

export async function buildApp(options: AppOptions): Promise<ServiceApp> {
  const { settings } = options;
  const { http } = settings;
  const app = Fastify({
    logger: options.logger ?? false,
    // One line per request, written by the request log; fastify's own pair of lines is off.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    return503OnClosing: true,
    schemaErrorFormatter: bodyErrorFormatter(),
    // Deadlines on what a client sends (http-settings.ts, limits.ts): a request that trickles
    // in is cut with 408 and its socket closed; node checks them every second, not every 30.
    http: {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      connectionsCheckingInterval: HTTP_DEADLINE_CHECK_INTERVAL_MS,
    },
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    connectionTimeout: http.idleTimeoutMs,
    maxRequestsPerSocket: http.maxRequestsPerSocket,
    // X-Forwarded-For / -Proto believed from these proxies only: request.ip and request.protocol.
    trustProxy: http.trustProxy === null ? false : http.trustProxy.join(','),
    clientErrorHandler: clientErrorHandler(http),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(({ schema }) => bodyValidator().compile(schema));
  // Response schemas type the handlers; the bytes are JSON.stringify's, which never drops a field.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  const caps = capConnections(app.server, http);
  app.decorate('connectionCaps', caps);
  // A request that reached us on a refused connection (its bytes came before the close) is dropped.
  app.addHook('onRequest', async (request, reply) => {
    if (!caps.isRefused(request.raw.socket)) return;
    reply.hijack();
    request.raw.socket.destroy();
  });
  const tracker = new WorkTracker();
  registerRequestLog(app);
  registerSecurityHeaders(app);
  registerDrain(app);
  registerWorkTracker(app, tracker);
  registerErrorHandlers(app);
  await registerBodyParsers(app);
  await app.register(cookie);
  if (settings.token !== null) registerAccessToken(app, settings.token);
  const budget = settings.rateLimitPerMinute === null ? null : new EndpointBudget(settings.rateLimitPerMinute);

  const gate =
    options.gate ??
    createConnectionGate({ maxOpen: settings.maxConnections, perAddress: settings.connectionsPerAddress });
  const metrics = new ServiceMetrics({ tracker, gate });
  app.addHook('onResponse', async (request, reply) => {
    metrics.request(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
  });

  const deps: ServiceDeps = {
    settings,
    dns: options.dns ?? createDnsClient({ resolver: settings.resolver }),
    trustStore: options.trustStore ?? defaultTrustStore(),
    gate,
    tracker,
    metrics,
    budget,
    checks: new ClientChecks(settings.maxChecksPerClient),
    startedAt: Date.now(),
    work: registerRateLimit(budget),
    present: createPresenter(options.present),
    shutdown: options.shutdown ?? new AbortController().signal,
    targetPolicy: options.targetPolicy ?? (settings.refusePrivateTargets ? publicTargetsOnly : null),
    demoDomains: options.demoDomains ?? [],
  };
  app.addHook('onClose', () => deps.present.close());
  registerHealthRoute(app, deps);
  registerDefinitionRoutes(app, deps);
  registerCollectRoute(app, deps);
  registerEvaluateRoute(app, deps);
  registerReportRoute(app, deps);
  registerCheckRoutes(app, deps);
  registerProbeRoute(app, deps);
  registerMetricsRoute(app, deps);
  // People open the address itself: the page is at /check.
  app.get('/', async (_request, reply) => reply.redirect('/check', 303));
  return app;
}
