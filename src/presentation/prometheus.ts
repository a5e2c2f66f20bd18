/**
 * One check as a Prometheus scrape, in the blackbox_exporter convention
 * (`GET /probe?target=DOMAIN`): `probe_success` and `probe_duration_seconds`
 * for the whole check, then gauges per endpoint a dashboard can plot and an
 * alert can test. A pure function of the observation and its states; a fresh
 * prom-client registry per check, so one scrape never carries another's series.
 */
import { Gauge, Registry } from 'prom-client';
import type { EndpointProbe, Observation } from '../model/observation.js';
import { Status, STATUS_NAMES, exitCodeFor, worstStatus, type CheckState, type StatusValue } from '../model/status.js';

/** The content type Prometheus asks for (text exposition format 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * probe_success: 1 when the domain receives mail (worst status OK, INFO or
 * WARN), 0 when a finding is CRIT or the check could not tell (UNKNOWN, ERROR).
 * An alert that wants WARN too tests `smtp_status >= 1`.
 */
const SUCCESS: ReadonlySet<StatusValue> = new Set([Status.OK, Status.INFO, Status.WARN]);

const ENDPOINT_LABELS = ['mx', 'address', 'family'] as const;
type EndpointLabel = (typeof ENDPOINT_LABELS)[number];

const ms = (v: number | null): number | null => (v === null ? null : v / 1000);

/** Stage timings per endpoint, in seconds as Prometheus wants; a stage never reached has no sample. */
const STAGES: [name: string, help: string, value: (e: EndpointProbe) => number | null][] = [
  ['smtp_endpoint_connect_seconds', 'TCP connect time.', (e) => ms(e.timings.connect_ms)],
  ['smtp_endpoint_greeting_seconds', 'Time from connect to the complete greeting.', (e) => ms(e.timings.greeting_ms)],
  ['smtp_endpoint_tls_handshake_seconds', 'STARTTLS handshake time.', (e) => ms(e.timings.tls_ms)],
  ['smtp_endpoint_duration_seconds', 'Whole endpoint probe, connect to QUIT.', (e) => ms(e.timings.total_ms)],
];

const bool = (v: boolean): number => (v ? 1 : 0);

function endpointLabels(e: EndpointProbe): Record<EndpointLabel, string> {
  return { mx: e.mx.join(','), address: e.address, family: `ipv${e.family}` };
}

/** The worst state naming the endpoint (as the reports' endpoint rows), on the exit-code scale. */
function endpointStatus(e: EndpointProbe, states: readonly CheckState[]): number {
  if (states.length === 0) return exitCodeFor(Status.UNKNOWN);
  return exitCodeFor(worstStatus(states.filter((s) => s.subject === e.subject)));
}

const RELAY_RULE = 'smtp.open_relay';

/**
 * The relay verdict the rules gave the endpoint: 1 open relay, 0 a refusal
 * that is about relaying, null (no sample) when relaying was not told: the
 * probe did not run, or its refusal was aimed at the checker (UNKNOWN).
 */
function relayVerdict(e: EndpointProbe, states: readonly CheckState[]): number | null {
  const mine = states.filter((s) => s.rule === RELAY_RULE && s.subject === e.subject);
  if (mine.some((s) => s.status === Status.CRIT)) return 1;
  if (mine.length > 0) return null;
  const t = e.transactions.find((x) => x.kind === 'open_relay');
  return t?.outcome === 'rejected' && states.some((s) => s.rule === RELAY_RULE) ? 0 : null;
}

/** Expiry of the leaf certificate seen on the endpoint, in Unix seconds; null without a TLS session. */
function leafExpiry(e: EndpointProbe): number | null {
  const leaf = e.starttls.tls?.chain[0];
  if (!leaf) return null;
  const t = Date.parse(leaf.valid_to);
  return Number.isFinite(t) ? t / 1000 : null;
}

export async function probeExposition(obs: Observation, states: readonly CheckState[]): Promise<string> {
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });

  const worst = worstStatus(states);
  gauge('probe_success', 'The domain receives mail: worst status OK, INFO or WARN (1), or not (0).').set(
    bool(states.length > 0 && SUCCESS.has(worst)),
  );
  gauge('probe_duration_seconds', 'How long the check took, DNS and every endpoint.').set(obs.duration_ms / 1000);
  gauge('smtp_status', 'Worst status as check exit codes: 0 OK/INFO, 1 WARN, 2 CRIT, 3 UNKNOWN/ERROR.').set(
    exitCodeFor(worst),
  );
  const findings = gauge('smtp_findings', 'Rule states by status.', ['status']);
  for (const status of [Status.OK, Status.INFO, Status.WARN, Status.CRIT, Status.UNKNOWN, Status.ERROR]) {
    findings.set({ status: STATUS_NAMES[status] }, states.filter((s) => s.status === status).length);
  }
  gauge('smtp_null_mx', 'The domain publishes a null MX (RFC 7505): it receives no mail, by choice.').set(
    bool(obs.dns.null_mx),
  );
  gauge('smtp_mx_targets', 'MX names the check resolved.').set(obs.dns.mx.length);
  gauge('smtp_endpoints', 'Endpoints (MX address and port) the check planned.').set(obs.endpoints.length);

  const perEndpoint = (name: string, help: string) => gauge(name, help, ENDPOINT_LABELS);
  const reachable = perEndpoint('smtp_endpoint_reachable', 'TCP connect succeeded.');
  const starttls = perEndpoint('smtp_endpoint_starttls', 'STARTTLS completed (0: not offered, or failed).');
  const fcrdns = perEndpoint('smtp_endpoint_fcrdns', 'A PTR name of the address resolves back to it.');
  const openRelay = perEndpoint(
    'smtp_endpoint_open_relay',
    'The server accepted a recipient outside its domains (1) or refused to relay (0); absent when not told.',
  );
  const status = perEndpoint('smtp_endpoint_status', 'Worst state naming the endpoint, on the smtp_status scale.');
  const tlsVersion = gauge('smtp_endpoint_tls_version_info', 'TLS version negotiated after STARTTLS.', [
    ...ENDPOINT_LABELS,
    'version',
  ]);
  const expiry = perEndpoint('smtp_endpoint_cert_expiry_timestamp_seconds', 'Expiry of the leaf certificate.');
  const stages = STAGES.map(([name, help, value]) => [perEndpoint(name, help), value] as const);
  let earliestExpiry: number | null = null;

  for (const e of obs.endpoints) {
    const labels = endpointLabels(e);
    reachable.set(labels, bool(e.connected));
    starttls.set(labels, bool(e.starttls.ok));
    fcrdns.set(labels, bool(e.reverse_dns.fcrdns));
    status.set(labels, endpointStatus(e, states));
    const relay = relayVerdict(e, states);
    if (relay !== null) openRelay.set(labels, relay);
    const version = e.starttls.tls?.version;
    if (version) tlsVersion.set({ ...labels, version }, 1);
    const notAfter = leafExpiry(e);
    if (notAfter !== null) {
      expiry.set(labels, notAfter);
      earliestExpiry = earliestExpiry === null ? notAfter : Math.min(earliestExpiry, notAfter);
    }
    for (const [metric, value] of stages) {
      const v = value(e);
      if (v !== null) metric.set(labels, v);
    }
  }
  if (earliestExpiry !== null) {
    gauge('probe_ssl_earliest_cert_expiry', 'Earliest expiry of the leaf certificates seen, in Unix seconds.').set(
      earliestExpiry,
    );
  }
  return registry.metrics();
}
