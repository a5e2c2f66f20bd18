/**
 * The rule set, in the order of SPEC.md's table, and the evaluation entry
 * point: observation in, states out, pure.
 */
import type { Observation, TransactionKind } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { authPosture } from './auth-posture.js';
import { bannerSanity } from './banner-sanity.js';
import { ehloSupported } from './ehlo-supported.js';
import { endpointReachable } from './endpoint-reachable.js';
import { extensionPosture } from './extension-posture.js';
import { ipv6Reachable } from './ipv6-reachable.js';
import { mxPresent } from './mx-present.js';
import { mxSanity } from './mx-sanity.js';
import { nullMx } from './null-mx.js';
import { nullSender } from './null-sender.js';
import { openRelay } from './open-relay.js';
import { postmaster } from './postmaster.js';
import { reverseDns } from './reverse-dns.js';
import type { Rule, RuleContext } from './rule.js';
import { starttlsHandshake } from './starttls-handshake.js';
import { starttlsOffered } from './starttls-offered.js';
import { tlsQuality } from './tls-quality.js';

export type { Rule, RuleContext } from './rule.js';

export const RULES: readonly Rule[] = Object.freeze([
  nullMx,
  mxPresent,
  mxSanity,
  endpointReachable,
  bannerSanity,
  ehloSupported,
  starttlsOffered,
  starttlsHandshake,
  authPosture,
  reverseDns,
  nullSender,
  postmaster,
  openRelay,
  extensionPosture,
  ipv6Reachable,
  tlsQuality,
]);

/** Run one rule, holding it to the contract: at least one state, each carrying the rule's name. */
function runRule(rule: Rule, obs: Observation, context: RuleContext | undefined): CheckState[] {
  let states: CheckState[];
  try {
    states = rule.evaluate(obs, context);
  } catch (err) {
    // Our bug or an observation that breaks the contract: say so instead of failing every rule.
    return [
      {
        status: Status.ERROR,
        rule: rule.name,
        code: 'smtp.rule_error',
        subject: obs.domain,
        message: `The rule failed: ${err instanceof Error ? err.message : String(err)}.`,
      },
    ];
  }
  if (states.length === 0) {
    return [
      {
        status: Status.UNKNOWN,
        rule: rule.name,
        code: 'smtp.rule_error',
        subject: obs.domain,
        message: 'The rule produced no verdict.',
      },
    ];
  }
  return states.map((s) => (s.rule === rule.name ? s : { ...s, rule: rule.name }));
}

export interface EvaluateOptions extends RuleContext {
  /** Rules mapped to false are not run (the host's enabledRules); absent means all. */
  enabledRules?: Record<string, boolean>;
}

/**
 * Evaluate every enabled rule, in RULES order: observation in, states out.
 * What was probed and with which options is in the observation itself;
 * `related` (another checker's observations) is passed through to the rules.
 */
export function evaluate(obs: Observation, options: EvaluateOptions = {}): CheckState[] {
  const { enabledRules, ...context } = options;
  return RULES.filter((r) => enabledRules?.[r.name] !== false).flatMap((r) => runRule(r, obs, context));
}

/** Names and descriptions for the checker definition (GET /definition). */
export function ruleDescriptions(): { name: string; description: string }[] {
  return RULES.map((r) => ({ name: r.name, description: r.description }));
}

/**
 * The probes collection need not send for the host's `enabledRules`: those
 * declared (Rule.probes) only by rules mapped to false. A probe another
 * enabled rule also declares is still sent; rule names this checker does not
 * know are ignored, as evaluate() ignores them. In the order the probes are
 * first declared, without duplicates.
 */
export function probesToSkip(
  enabledRules: Readonly<Record<string, boolean>> | undefined,
  rules: readonly Rule[] = RULES,
): TransactionKind[] {
  if (!enabledRules) return [];
  const disabled = (r: Rule) => enabledRules[r.name] === false;
  const declared = [...new Set(rules.flatMap((r) => r.probes ?? []))];
  return declared.filter((probe) => rules.filter((r) => r.probes?.includes(probe)).every(disabled));
}
