/**
 * What every part of the service is built from: the typed fastify instance
 * and the dependencies shared by all routes, made once per app.
 */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  onRequestHookHandler,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ConnectionGate } from '../collect/connection-gate.js';
import type { DnsClient } from '../collect/dns/dns-client.js';
import type { ServiceSettings } from '../config/service-settings.js';
import type { WorkTracker } from './load-average.js';
import type { EndpointBudget } from './endpoint-budget.js';
import type { ClientChecks } from './client-checks.js';
import type { Presenter } from './present/presenter.js';
import type { ServiceMetrics } from './service-metrics.js';
import type { TargetPolicy } from '../collect/target-policy.js';

/** Fastify with request and reply types inferred from the TypeBox schemas of each route. */
export type ServiceApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export type AppSettings = Omit<ServiceSettings, 'listen' | 'drainTimeoutS'>;

/** Route options of a work route (POST /definition, /collect, /evaluate, /report, /check): counted, rate-limited. */
export interface WorkRouteOptions {
  config: { work: true };
  onRequest?: onRequestHookHandler;
}

export interface ServiceDeps {
  settings: AppSettings;
  dns: DnsClient;
  trustStore: string[];
  gate: ConnectionGate;
  tracker: WorkTracker;
  /** The service's own metrics (GET /metrics). */
  metrics: ServiceMetrics;
  /** The per-client rate limit, in endpoints probed; null when unlimited. */
  budget: EndpointBudget | null;
  /** Checks running per client, bounded. */
  checks: ClientChecks;
  /** When the app was built (ms since the epoch), for /health's uptime. */
  startedAt: number;
  work: WorkRouteOptions;
  /** Evaluates and renders: inline, or in a worker thread for a large observation. */
  present: Presenter;
  /** Aborted when the drain deadline of a shutdown passes: collects still running are cut. */
  shutdown: AbortSignal;
  /** Addresses this deployment refuses to dial; null: none refused (--allow-private-targets). */
  targetPolicy: TargetPolicy | null;
  /** `serve --demo`: the simulated domains the /check page offers; empty otherwise. */
  demoDomains: readonly string[];
}
