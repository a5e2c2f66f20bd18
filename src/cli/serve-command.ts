/**
 * `checker-smtp serve`: the long-running HTTP checker (PROTOCOL.md and the
 * /check page). JSON log lines on stdout, one per request. SIGINT/SIGTERM stop
 * accepting, let in-flight work finish within the drain timeout, cancel what
 * is left (collects answer with what they saw, recorded as cut), and exit 0.
 * `--healthcheck` probes /health of a running instance (container HEALTHCHECK).
 */
import { parseArgs } from 'node:util';
import { buildApp } from '../server/app.js';
import { DEFAULT_MAX_ENDPOINTS, DEFAULT_QUEUE_WAIT_S, MAX_ENDPOINTS_CEILING } from '../model/limits.js';
import {
  DEFAULT_DRAIN_TIMEOUT_S,
  DEFAULT_LISTEN,
  DEFAULT_MAX_CHECKS_PER_CLIENT,
  resolveServiceSettings,
  SETTING_ENV,
  type ListenAddress,
  type ServiceSettings,
} from '../config/service-settings.js';
import { HTTP_SETTING_ENV } from '../config/http-settings.js';
import {
  HTTP_HEADERS_TIMEOUT_S,
  HTTP_KEEP_ALIVE_TIMEOUT_S,
  HTTP_MAX_CONNECTIONS,
  HTTP_MAX_CONNECTIONS_PER_CLIENT,
  HTTP_REQUEST_TIMEOUT_S,
  SERVICE_COLLECT_DEADLINE_S,
} from '../model/limits.js';
import { UsageError, type CliIo } from './check-command.js';
import { DEMO_ADDRESSES, startDemoWorld, type DemoWorld } from '../demo/demo-world.js';
import type { TargetPolicy } from '../collect/target-policy.js';

/** `serve --demo` listens on this machine only unless told otherwise: the demo is for the person at it. */
export const DEMO_LISTEN = '127.0.0.1:8080';

export const SERVE_USAGE = `Usage: checker-smtp serve [options]

Serve the checker over HTTP: the happyDomain checker protocol (GET /health,
GET|POST /definition, POST /collect, /evaluate, /report) and a browser page
at /check. Every option can also come from the environment variable shown.

Options:
  --listen HOST:PORT          where to listen (default ${DEFAULT_LISTEN}: all interfaces;
                              also spelled -listen)                ${SETTING_ENV.listen}
  --resolver IP[:PORT]        DNS resolver to ask (default: the system's)
                                                                   ${SETTING_ENV.resolver}
  --port N                    SMTP port to probe (default 25)      ${SETTING_ENV.port}
  --egress-canary HOST[:PORT] when no endpoint of a domain answers, dial
                              this to tell a blocked port 25 here from dead
                              servers (comma-separated; default large public
                              MX hosts; "none": off)               ${SETTING_ENV.egressCanary}
  --token TOKEN               require this access token on every route but
                              /health (Authorization: Bearer, the password of
                              HTTP Basic as in http://user:TOKEN@host, or the
                              /check form field, remembered in a cookie)
                                                                   ${SETTING_ENV.token}
  --rate-limit N              endpoints probed per minute per client: a check
                              costs one per endpoint it dials, any other work
                              request one (429 with Retry-After beyond, before
                              dialling; at least --max-endpoints; default
                              unlimited)                           ${SETTING_ENV.rateLimit}
  --max-endpoints N           endpoints probed per check, the rest recorded as
                              not probed (default ${DEFAULT_MAX_ENDPOINTS}, at most ${MAX_ENDPOINTS_CEILING})
                                                                   ${SETTING_ENV.maxEndpoints}
  --max-checks-per-client N   checks one client may run at once (429 beyond;
                              default ${DEFAULT_MAX_CHECKS_PER_CLIENT})                          ${SETTING_ENV.maxChecksPerClient}
  --queue-wait S              longest a probe waits for a connection slot,
                              then recorded as not probed (default ${DEFAULT_QUEUE_WAIT_S})
                                                                   ${SETTING_ENV.queueWait}
  --allow-private-targets     probe loopback, private, link-local, CGNAT,
                              multicast, documentation and other non-public
                              addresses (refused on every route by default;
                              for internal deployments)           ${SETTING_ENV.allowPrivateTargets}
  --refuse-private-targets    refuse them (the default; kept for old setups)
                                                                   ${SETTING_ENV.refusePrivateTargets}
  --allow-probe-address       let /check visitors choose the relay-probe
                              recipient (default: the form has no such field
                              and the default recipient is used)  ${SETTING_ENV.allowProbeAddress}
  --check-on-get              run the check when GET /check carries a domain
                              (a shared link); default off: the link shows
                              the form filled in, because browsers, chat
                              previews and mail scanners fetch links on
                              their own                            ${SETTING_ENV.checkOnGet}
  --demo                      start the demo world in this process (a DNS
                              server and SMTP servers on 127.0.25.x and ::1)
                              and check it instead of the Internet: its
                              resolver, port, CA and egress canary replace
                              --resolver, --port and --egress-canary, only
                              its addresses are dialled, GET runs the check,
                              and the default listen address is
                              ${DEMO_LISTEN}
  --allowed-domains LIST      only check these domains and their subdomains
                              (comma-separated; default any)      ${SETTING_ENV.allowedDomains}
  --max-connections N         SMTP connections open at once, all requests
                              (default 256)                        ${SETTING_ENV.maxConnections}
  --connections-per-address N connections at once to one IP, queued beyond
                              (default 1)                          ${SETTING_ENV.connectionsPerAddress}
  --drain-timeout S           on SIGTERM, wait this long for in-flight work,
                              then cancel it (its answers say what was cut)
                              and exit (default ${DEFAULT_DRAIN_TIMEOUT_S})               ${SETTING_ENV.drainTimeout}
  --collect-deadline S        longest a collect may take, whatever its
                              options; what is left then is recorded as cut
                              (default ${SERVICE_COLLECT_DEADLINE_S}: happyDomain gives up at 120)
                                                                   ${HTTP_SETTING_ENV.collectDeadline}
  --headers-timeout S         time a client has to send request headers
                              (default ${HTTP_HEADERS_TIMEOUT_S})                          ${HTTP_SETTING_ENV.headersTimeout}
  --request-timeout S         time a client has to send a whole request,
                              body included (default ${HTTP_REQUEST_TIMEOUT_S})            ${HTTP_SETTING_ENV.requestTimeout}
  --keep-alive-timeout S      idle time between requests on a connection
                              (default ${HTTP_KEEP_ALIVE_TIMEOUT_S})                          ${HTTP_SETTING_ENV.keepAliveTimeout}
  --max-http-connections N    client connections open at once; more are
                              answered 503 (default ${HTTP_MAX_CONNECTIONS})           ${HTTP_SETTING_ENV.maxHttpConnections}
  --http-connections-per-client N
                              the same per client (IPv4 address, IPv6 /64;
                              trusted proxies exempt; default ${HTTP_MAX_CONNECTIONS_PER_CLIENT})
                                                                   ${HTTP_SETTING_ENV.httpConnectionsPerClient}
  --trust-proxy LIST          proxies whose X-Forwarded-For/-Proto are
                              believed: addresses, CIDR ranges, loopback,
                              linklocal, uniquelocal (default none) ${HTTP_SETTING_ENV.trustProxy}
  --healthcheck               probe /health of the instance at the listen
                              address; exit 0 if healthy, 1 if not
  -h, --help                  show this help`;

/** The demo world's own addresses: the only ones `serve --demo` dials, so nothing leaves the machine. */
const DEMO_TARGETS = new Set<string>([
  DEMO_ADDRESSES.healthy,
  ...DEMO_ADDRESSES.brokenRelays,
  DEMO_ADDRESSES.brokenDown,
  DEMO_ADDRESSES.ipv6,
]);

export const demoTargetsOnly: TargetPolicy = (address) =>
  DEMO_TARGETS.has(address.toLowerCase())
    ? null
    : `not probed: ${address} is outside the demo world (serve --demo dials only its simulated servers)`;

/** The settings of `serve --demo`: the world's resolver, port and canary; a GET link runs the check. */
function demoSettings(settings: ServiceSettings, world: DemoWorld): ServiceSettings {
  return {
    ...settings,
    resolver: world.resolver,
    smtpPort: world.port,
    egressCanary: world.egressCanary,
    // The demo world is on this machine: a link fetched by a preview costs nothing, and the demo links run at once.
    checkOnGet: true,
  };
}

/** Go-style single-dash spelling of the seed's `-listen :8080`. */
function normaliseArgv(argv: string[]): string[] {
  return argv.map((a) => (a === '-listen' ? '--listen' : a.startsWith('-listen=') ? `-${a}` : a));
}

/** Health probe timeout: a healthy instance answers in milliseconds; a wedged one must not hang the container runtime. */
const HEALTHCHECK_TIMEOUT_MS = 5_000;

/** A wildcard listen address: every interface of the machine, public ones included. */
function isAllInterfaces(host: string): boolean {
  return host === '::' || host === '0.0.0.0' || host === '';
}

/**
 * The warning a start prints when the service listens on every interface
 * without an access token: anyone who reaches the port can make this machine
 * dial port 25 anywhere. Null when a token is set or the address is one host's.
 */
export function exposureWarning(settings: Pick<ServiceSettings, 'token' | 'listen'>): string | null {
  if (settings.token !== null || !isAllInterfaces(settings.listen.host)) return null;
  return 'listening on all interfaces without an access token: anyone who reaches this port can make this machine connect to port 25 anywhere and send RCPT TO probes from its address; set --token, or listen on 127.0.0.1 behind a proxy that authenticates';
}

/** The /check page's address as a person opens it: a wildcard listen address is reached on 127.0.0.1. */
function pageUrl(bound: string | { address: string; port: number } | undefined, listen: ListenAddress): string {
  const port = typeof bound === 'object' ? bound.port : listen.port;
  const host = typeof bound === 'object' && !isAllInterfaces(bound.address) ? bound.address : listen.host;
  const shown = isAllInterfaces(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/check`;
}

function healthUrl(listen: ListenAddress): string {
  const wildcard = isAllInterfaces(listen.host);
  const host = wildcard ? '127.0.0.1' : listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `http://${host}:${listen.port}/health`;
}

async function healthcheck(listen: ListenAddress, io: CliIo): Promise<number> {
  const url = healthUrl(listen);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(HEALTHCHECK_TIMEOUT_MS) });
    const body = (await res.json().catch(() => null)) as { status?: string; inflight?: number } | null;
    if (res.status === 200 && body?.status === 'ok') {
      io.stdout.write(`healthy: ${url} (${body.inflight ?? 0} in flight)\n`);
      return 0;
    }
    io.stderr.write(`checker-smtp: unhealthy: ${url} answered HTTP ${res.status}\n`);
  } catch (err) {
    io.stderr.write(
      `checker-smtp: unhealthy: ${url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}\n`,
    );
  }
  return 1;
}

/**
 * After the drain deadline cancels the work in flight, how long its answers
 * may take to go out: a cut collect returns at once (collect-cut.ts), so
 * this is time to write them, not to finish anything.
 */
const CANCEL_GRACE_MS = 5_000;
/** Once stopped, how long anything left may keep the process up before it exits anyway. */
const EXIT_GRACE_MS = 1_000;

/** Whether `done` settles within `ms`. */
async function within(done: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ServeHooks {
  /** Where shutdown signals come from (the process, or a test's emitter). */
  signals?: NodeJS.EventEmitter;
}

export async function runServe(argv: string[], io: CliIo, hooks: ServeHooks = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: normaliseArgv(argv),
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        resolver: { type: 'string' },
        port: { type: 'string' },
        'egress-canary': { type: 'string' },
        token: { type: 'string' },
        'rate-limit': { type: 'string' },
        'allow-private-targets': { type: 'boolean' },
        'refuse-private-targets': { type: 'boolean' },
        'allow-probe-address': { type: 'boolean' },
        'check-on-get': { type: 'boolean' },
        demo: { type: 'boolean' },
        'max-endpoints': { type: 'string' },
        'max-checks-per-client': { type: 'string' },
        'queue-wait': { type: 'string' },
        'allowed-domains': { type: 'string' },
        'max-connections': { type: 'string' },
        'connections-per-address': { type: 'string' },
        'drain-timeout': { type: 'string' },
        'collect-deadline': { type: 'string' },
        'headers-timeout': { type: 'string' },
        'request-timeout': { type: 'string' },
        'keep-alive-timeout': { type: 'string' },
        'max-http-connections': { type: 'string' },
        'http-connections-per-client': { type: 'string' },
        'trust-proxy': { type: 'string' },
        healthcheck: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const demo = values.demo === true && !values.healthcheck;
  const listenDefault = demo && io.env[SETTING_ENV.listen] === undefined ? DEMO_LISTEN : undefined;
  const resolved = resolveServiceSettings(
    {
      listen: values.listen ?? listenDefault,
      resolver: values.resolver,
      port: values.port,
      egressCanary: values['egress-canary'],
      token: values.token,
      rateLimit: values['rate-limit'],
      allowPrivateTargets: values['allow-private-targets'],
      refusePrivateTargets: values['refuse-private-targets'],
      allowProbeAddress: values['allow-probe-address'],
      checkOnGet: values['check-on-get'],
      maxEndpoints: values['max-endpoints'],
      maxChecksPerClient: values['max-checks-per-client'],
      queueWait: values['queue-wait'],
      allowedDomains: values['allowed-domains'],
      maxConnections: values['max-connections'],
      connectionsPerAddress: values['connections-per-address'],
      drainTimeout: values['drain-timeout'],
      collectDeadline: values['collect-deadline'],
      headersTimeout: values['headers-timeout'],
      requestTimeout: values['request-timeout'],
      keepAliveTimeout: values['keep-alive-timeout'],
      maxHttpConnections: values['max-http-connections'],
      httpConnectionsPerClient: values['http-connections-per-client'],
      trustProxy: values['trust-proxy'],
    },
    io.env,
  );
  if (values.healthcheck) return healthcheck(resolved.listen, io);

  const world = demo ? await startDemoWorld() : null;
  const settings = world ? demoSettings(resolved, world) : resolved;
  // Aborted when the drain deadline passes: collects still running are cut, and answered as such.
  const shutdown = new AbortController();
  let app;
  try {
    app = await buildApp({
      settings,
      logger: { level: 'info', stream: io.stdout },
      shutdown: shutdown.signal,
      ...(world
        ? {
            trustStore: world.trustStore,
            targetPolicy: demoTargetsOnly,
            demoDomains: [world.domains.healthy, world.domains.broken],
          }
        : {}),
    });
    if (world) app.addHook('onClose', () => world.close());
    await app.listen({ host: settings.listen.host, port: settings.listen.port });
  } catch (err) {
    await world?.close();
    throw err;
  }
  app.log.info(
    {
      listen: app
        .addresses()
        .map((a) =>
          typeof a === 'string' ? a : a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`,
        ),
      token: settings.token !== null,
      rate_limit_endpoints_per_minute: settings.rateLimitPerMinute,
      refuses_private_targets: settings.refusePrivateTargets,
      max_endpoints: settings.maxEndpoints,
      max_checks_per_client: settings.maxChecksPerClient,
      queue_wait_s: settings.queueWaitS,
      allow_probe_address: settings.allowProbeAddress,
      allowed_domains: settings.allowedDomains,
      smtp_port: settings.smtpPort,
      egress_canary: settings.egressCanary.map((c) => `${c.host}:${c.port}`),
      collect_deadline_s: settings.http.collectDeadlineMs / 1000,
      headers_timeout_s: settings.http.headersTimeoutMs / 1000,
      request_timeout_s: settings.http.requestTimeoutMs / 1000,
      max_http_connections: settings.http.maxConnections,
      http_connections_per_client: settings.http.maxConnectionsPerClient,
      trust_proxy: settings.http.trustProxy,
      check_on_get: settings.checkOnGet,
      demo: world !== null,
    },
    'checker-smtp ready',
  );
  if (world) {
    const url = pageUrl(app.addresses()[0], settings.listen);
    app.log.info(
      { url, domains: [world.domains.healthy, world.domains.broken], resolver: world.resolver, smtp_port: world.port },
      `demo: open ${url}`,
    );
    io.stderr.write(
      `checker-smtp demo: open ${url} and try ${world.domains.healthy} or ${world.domains.broken} (simulated on this machine; nothing leaves it)\n`,
    );
  }
  const exposed = exposureWarning(settings);
  if (exposed !== null) app.log.warn({ listen: settings.listen }, exposed);

  const signals = hooks.signals ?? process;
  return new Promise<number>((resolve) => {
    const stop = async (signal: string) => {
      signals.removeListener('SIGTERM', onTerm);
      signals.removeListener('SIGINT', onInt);
      app.log.info(
        { signal, drain_timeout_s: settings.drainTimeoutS },
        'shutting down: no new connections, waiting for in-flight work',
      );
      const drained = app.close().then(() => true);
      if (await within(drained, settings.drainTimeoutS * 1000)) app.log.info('stopped');
      else {
        // Cut what is left: collects stop dialling and answer at once with what they saw.
        app.log.warn(
          { drain_timeout_s: settings.drainTimeoutS },
          'the drain timeout ran out: cancelling the work still in flight',
        );
        shutdown.abort(new Error('the service is shutting down'));
        if (await within(drained, CANCEL_GRACE_MS)) app.log.info('stopped after cancelling the work in flight');
        else {
          app.server.closeAllConnections();
          app.log.warn('stopped with requests still unanswered: their connections were closed');
        }
        // Nothing left behind (a stuck handler, a timer) may keep a stopped service alive.
        setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
      }
      resolve(0);
    };
    const onTerm = () => void stop('SIGTERM');
    const onInt = () => void stop('SIGINT');
    signals.once('SIGTERM', onTerm);
    signals.once('SIGINT', onInt);
  });
}
