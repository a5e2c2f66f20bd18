/**
 * What a rule is, and the helpers every rule shares: state builders, the
 * "never an empty result" guarantee, deterministic ordering, and the split
 * between endpoints a rule can judge and those an upstream failure kept from
 * its stage. Rules are pure functions of the observation.
 */
import type { DnsErrorCode, EndpointProbe, Observation, Reply, TransactionKind } from '../model/observation.js';
import { compareSubjects, compareText } from '../model/order.js';
import { Status, type CheckState, type StatusValue } from '../model/status.js';
import { plural, quoteAtMost } from '../model/text.js';
import { notProbedReason } from './unprobed.js';

/**
 * Extra inputs a rule may use besides the observation. Reserved: a later
 * change folds the TLS checker's related observations (PROTOCOL.md,
 * `related["tls_probes"]`) into smtp.tls_quality through this seam; no rule
 * reads it yet.
 */
export interface RuleContext {
  related?: Readonly<Record<string, readonly unknown[]>>;
}

export interface Rule {
  name: string;
  description: string;
  /**
   * Probes only this rule needs: when a host disables the rule, collection
   * need not send them (see probesToSkip). Collection knows probes, never
   * rule names, so the knowledge lives here, beside the rule that reads them.
   */
  probes?: readonly TransactionKind[];
  evaluate(obs: Observation, context?: RuleContext): CheckState[];
}

export interface FindingInput {
  status: StatusValue;
  code: string;
  subject: string;
  message: string;
  fix?: string;
  meta?: Record<string, unknown>;
}

/** One finding of `rule`; `fix` lands in `meta.fix` where the report looks for it. */
export function finding(rule: string, f: FindingInput): CheckState {
  const meta: Record<string, unknown> = { ...(f.meta ?? {}) };
  if (f.fix !== undefined) meta['fix'] = f.fix;
  const state: CheckState = { status: f.status, rule, code: f.code, subject: f.subject, message: f.message };
  if (Object.keys(meta).length > 0) state.meta = meta;
  return state;
}

/** The single OK state of a rule that found nothing wrong (subject: the domain). */
export function okState(rule: string, obs: Observation, message: string, meta?: Record<string, unknown>): CheckState {
  return finding(rule, {
    status: Status.OK,
    code: `${rule}.ok`,
    subject: obs.domain,
    message,
    ...(meta ? { meta } : {}),
  });
}

/** States ordered by subject, then code; stable, so equal keys keep the rule's order. */
export function sortStates(states: readonly CheckState[]): CheckState[] {
  return [...states].sort(
    (a, b) => compareSubjects(a.subject ?? '', b.subject ?? '') || compareText(a.code ?? '', b.code ?? ''),
  );
}

/** The findings sorted, or the OK state when there are none: never an empty result. */
export function orOk(findings: readonly CheckState[], ok: () => CheckState): CheckState[] {
  return findings.length > 0 ? sortStates(findings) : [ok()];
}

// ---------------------------------------------------------------------------
// Wording helpers

/** Rules word their messages with the same plural as the reports. */
export { plural };

/** "All 3 endpoints advertise STARTTLS" / "Both endpoints…" / "192.0.2.1:25 advertises STARTTLS". */
export function allEndpoints(judged: readonly EndpointProbe[], one: string, many: string): string {
  if (judged.length === 1) return `${judged[0]!.subject} ${one}`;
  return judged.length === 2 ? `Both endpoints ${many}` : `All ${judged.length} endpoints ${many}`;
}

/** A reply quoted in a message: long enough for a whole 5xx explanation, short of a hex dump. */
const REPLY_QUOTE_MAX_CHARS = 200;

/**
 * A reply as one quoted string: `"550 5.7.1 Relay access denied"`, its lines
 * joined and white space folded. Quoted as every value in a message is
 * (`quote()`): controls a server sent (NUL, ESC, BEL: a terminal title or a
 * screen clear in a banner) and bidi characters become escapes, so a message
 * passed on to a host, a log or a terminal is text, never a control sequence.
 */
export function quoteReply(reply: Reply): string {
  return quoteAtMost(reply.lines.join(' ').replace(/\s+/g, ' ').trim(), REPLY_QUOTE_MAX_CHARS);
}

/** Answers that mean "could not look it up", not "it is not there". */
export function isLookupFailure(code: DnsErrorCode): boolean {
  return code !== 'NXDOMAIN' && code !== 'NODATA';
}

export function is2xx(reply: Reply | null): boolean {
  return reply !== null && reply.code >= 200 && reply.code < 300;
}

export function is4xx(reply: Reply | null): boolean {
  return reply !== null && reply.code >= 400 && reply.code < 500;
}

// ---------------------------------------------------------------------------
// Endpoint stages: who can a rule judge, and why not the others

/** EHLO (or the HELO fallback) was accepted: the session can go on. */
export function helloCompleted(e: EndpointProbe): boolean {
  return e.connected && e.greeting?.code === 220 && (is2xx(e.ehlo) || is2xx(e.helo));
}

export type Stage = 'greeting' | 'hello' | 'session';

/**
 * Why an upstream failure kept `e` from `stage` (null when it got there):
 * greeting needs a connection, hello a 220 greeting, session an accepted
 * EHLO/HELO. The upstream rule reports the failure itself.
 */
export function blockedBefore(e: EndpointProbe, stage: Stage): string | null {
  if (!e.connected) {
    if (e.error?.code === 'skipped') return 'not tested (by choice: the other address family only)';
    return e.error?.code === 'policy.refused' ? 'not probed: refused by the target policy' : 'unreachable';
  }
  if (stage === 'greeting') return null;
  if (e.greeting?.code !== 220) return 'no 220 greeting';
  if (stage === 'hello') return null;
  if (!helloCompleted(e)) return 'EHLO/HELO failed';
  return null;
}

/** Why the dialogue stopped, in words, for "could not test" messages. */
export function dialogueStop(e: EndpointProbe): string | null {
  return e.error ? `dialogue stopped at ${e.error.phase}: ${e.error.message}` : null;
}

export interface Partition {
  judged: EndpointProbe[];
  untested: { endpoint: EndpointProbe; reason: string }[];
}

/** Split endpoints into those the rule can judge and those it cannot, with the reason. */
export function partition(endpoints: readonly EndpointProbe[], why: (e: EndpointProbe) => string | null): Partition {
  const out: Partition = { judged: [], untested: [] };
  for (const e of endpoints) {
    const reason = why(e);
    if (reason === null) out.judged.push(e);
    else out.untested.push({ endpoint: e, reason });
  }
  return out;
}

/** ", 1 more could not be tested (unreachable)" style suffix for OK messages. */
export function untestedSuffix(p: Partition): string {
  if (p.untested.length === 0) return '';
  const reasons = [...new Set(p.untested.map((u) => u.reason))].join('; ');
  return ` (${plural(p.untested.length, 'other endpoint')} could not be tested: ${reasons})`;
}

// ---------------------------------------------------------------------------
// Endpoint rules: null MX collapse, nothing to test, then the rule's judgement

export interface EndpointRuleSpec {
  name: string;
  description: string;
  /** Probes only this rule needs (Rule.probes). */
  probes?: readonly TransactionKind[];
  /** Code of the single UNKNOWN state when no endpoint could be judged. */
  untestedCode: string;
  /** What could not be judged, for the UNKNOWN message: "STARTTLS support". */
  what: string;
  /** Answers instead of judging, e.g. when an option switched the probe off. */
  precheck?: (obs: Observation) => CheckState[] | null;
  /** Null when the rule can judge `e`, else why not. */
  why: (e: EndpointProbe, obs: Observation) => string | null;
  /**
   * The rule judges endpoints the checker could not test itself (target
   * policy, a cut, no IPv6 route, port 25 blocked here: see unprobed.ts),
   * because what it reads needs no connection or says why there was none;
   * every other rule leaves them untested, with that reason.
   */
  judgesUnprobed?: boolean;
  /** Findings for the judged endpoints (domain-wide findings allowed). */
  judge: (p: Partition, obs: Observation, context: RuleContext | undefined) => CheckState[];
  /** OK message when the judgement found nothing. */
  okMessage: (p: Partition, obs: Observation) => string;
  okMeta?: (p: Partition, obs: Observation) => Record<string, unknown>;
}

/** Code of the collapsed state endpoint rules emit for a null-MX domain. */
export const NULL_MX_NOT_PROBED = 'smtp.null_mx.not_probed';

export function endpointRule(spec: EndpointRuleSpec): Rule {
  return {
    name: spec.name,
    description: spec.description,
    ...(spec.probes ? { probes: spec.probes } : {}),
    evaluate(obs, context) {
      if (obs.dns.null_mx) {
        return [
          finding(spec.name, {
            status: Status.INFO,
            code: NULL_MX_NOT_PROBED,
            subject: obs.domain,
            message: `No endpoint was probed: ${obs.domain} publishes a null MX, declaring it receives no mail.`,
          }),
        ];
      }
      const pre = spec.precheck?.(obs);
      if (pre) return sortStates(pre);
      if (obs.endpoints.length === 0) {
        return [
          finding(spec.name, {
            status: Status.UNKNOWN,
            code: spec.untestedCode,
            subject: obs.domain,
            message: `No endpoint to test, so ${spec.what} could not be checked (see smtp.mx_present).`,
          }),
        ];
      }
      const p = partition(obs.endpoints, (e) =>
        spec.judgesUnprobed ? spec.why(e, obs) : (notProbedReason(e, obs) ?? spec.why(e, obs)),
      );
      if (p.judged.length === 0) {
        const list = p.untested.map((u) => `${u.endpoint.subject} ${u.reason}`).join('; ');
        return [
          finding(spec.name, {
            status: Status.UNKNOWN,
            code: spec.untestedCode,
            subject: obs.domain,
            message: `No endpoint got far enough to check ${spec.what}: ${list}.`,
            meta: { untested: Object.fromEntries(p.untested.map((u) => [u.endpoint.subject, u.reason])) },
          }),
        ];
      }
      return orOk(spec.judge(p, obs, context), () =>
        okState(spec.name, obs, spec.okMessage(p, obs), spec.okMeta?.(p, obs)),
      );
    },
  };
}
