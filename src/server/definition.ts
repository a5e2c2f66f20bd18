/**
 * What this checker is, for a host (PROTOCOL.md GET/POST /definition): its
 * options, rules, interval and outputs, plus, for a given set of options,
 * which rules cannot run and whether running at all makes sense.
 */
import { OPTION_FIELDS, parseOptions } from '../config/options.js';
import { ruleDescriptions } from '../rules/index.js';
import { PACKAGE_VERSION } from '../model/package-info.js';
import { OptionError } from '../model/errors.js';
import { MX_SERVICE_TYPE, parseMxService } from '../config/mx-service.js';
import { OBSERVATION_KEY, type CheckerDefinition, type OptionField, type Precheck } from '../model/protocol.js';

export const CHECKER_ID = 'smtp';
export const CHECKER_NAME = 'Inbound SMTP (MX posture)';

const NS_PER_MINUTE = 60 * 1e9;
/** Scheduling bounds: a full probe takes seconds, but more often than every 5 min is hammering; a week is the longest gap worth monitoring. */
export const CHECK_INTERVAL = {
  min: 5 * NS_PER_MINUTE,
  max: 7 * 24 * 60 * NS_PER_MINUTE,
  default: 24 * 60 * NS_PER_MINUTE,
};

/**
 * Where each option lives, as the host stores them (PROTOCOL.md, "What the
 * happyDomain host really does"): run options are never stored, so a user
 * could not save one of ours. As SDK checkers do, the domain is a domain
 * option and the service a service option, both filled in by the host; what
 * a deployment should decide (the name the checker announces, the sender
 * its probes use: both must fit the machine's DNS) is for its admin; the
 * rest each user may set.
 */
export type OptionScope = 'adminOpts' | 'userOpts' | 'domainOpts' | 'serviceOpts';

const OPTION_SCOPE: Record<(typeof OPTION_FIELDS)[number]['id'], OptionScope> = {
  domain: 'domainOpts',
  timeout: 'userOpts',
  helo_name: 'adminOpts',
  test_null_sender: 'userOpts',
  test_postmaster: 'userOpts',
  test_open_relay: 'userOpts',
  test_mail_from: 'adminOpts',
  test_probe_address: 'userOpts',
};

/** What the host fills in for us (PROTOCOL.md autoFill). */
const AUTO_FILL: Record<string, string> = { domain: 'domain_name' };

/** The MX service the host fills in: a JSON object (PROTOCOL.md), never typed by a person. */
const SERVICE_OPTION: OptionField = {
  id: 'service',
  type: 'object',
  label: 'MX service',
  autoFill: 'service',
  hide: true,
  description: `The ${MX_SERVICE_TYPE} service being checked: its MX records are probed as configured, even before they are published.`,
};

export function checkerDefinition(): CheckerDefinition {
  const options: Record<OptionScope, OptionField[]> = { adminOpts: [], userOpts: [], domainOpts: [], serviceOpts: [] };
  for (const f of OPTION_FIELDS) {
    options[OPTION_SCOPE[f.id]].push({
      ...f,
      ...(AUTO_FILL[f.id] ? { autoFill: AUTO_FILL[f.id] } : {}),
      ...(f.id === 'domain' ? { placeholder: 'example.com' } : {}),
    });
  }
  options.serviceOpts.push(SERVICE_OPTION);
  return {
    id: CHECKER_ID,
    name: CHECKER_NAME,
    version: PACKAGE_VERSION,
    availability: { applyToService: true, limitToServices: [MX_SERVICE_TYPE] },
    options,
    rules: ruleDescriptions(),
    interval: CHECK_INTERVAL,
    has_html_report: true,
    has_metrics: true,
    observationKeys: [OBSERVATION_KEY],
  };
}

/** Rules that only a probe option feeds: off option, rule cannot run. */
const PROBE_OPTIONS: [option: string, rule: string, what: string][] = [
  ['test_null_sender', 'smtp.null_sender', 'the null-sender probe (MAIL FROM:<>)'],
  ['test_postmaster', 'smtp.postmaster', 'the postmaster probe'],
  ['test_open_relay', 'smtp.open_relay', 'the open-relay probe'],
];

/** Stand-in domain to validate the other options when the host has not filled `domain` yet. */
const PLACEHOLDER_DOMAIN = 'domain.invalid';

export function precheck(raw: Record<string, unknown>): Precheck {
  const failures: Record<string, string> = {};
  const domainGiven = raw['domain'] !== undefined && raw['domain'] !== null && raw['domain'] !== '';
  try {
    const options = parseOptions({ ...raw, domain: domainGiven ? raw['domain'] : PLACEHOLDER_DOMAIN });
    for (const [option, rule, what] of PROBE_OPTIONS) {
      if (!options[option as keyof typeof options]) failures[rule] = `Option ${option} is off, so ${what} is not sent.`;
    }
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    for (const { name } of ruleDescriptions()) failures[name] = err.message;
  }
  return { precheck_failures: failures, ...eligibility(raw, domainGiven ? String(raw['domain']) : PLACEHOLDER_DOMAIN) };
}

/** Eligibility is known only from a service payload: an empty MX set or a null MX leaves nothing to probe. */
function eligibility(raw: Record<string, unknown>, domain: string): Pick<Precheck, 'eligible' | 'eligibility_reason'> {
  let service;
  try {
    service = parseMxService(raw['service'], domain.toLowerCase().replace(/\.$/, ''));
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    return { eligible: false, eligibility_reason: err.message };
  }
  if (service === null) return {};
  if (service.records.length === 0) {
    return {
      eligible: false,
      eligibility_reason: `The MX service of ${service.zone} holds no MX record: there is no mail server to probe.`,
    };
  }
  if (service.records.length === 1 && service.records[0]!.exchange === '') {
    return {
      eligible: false,
      eligibility_reason: `${service.zone} publishes a null MX (RFC 7505): it accepts no mail, so there is no mail server to probe.`,
    };
  }
  const n = service.records.length;
  return {
    eligible: true,
    eligibility_reason: `The MX service of ${service.zone} holds ${n} MX record${n === 1 ? '' : 's'} to probe.`,
  };
}
