/**
 * Errors we throw: only for invalid input or our own bugs. A misbehaving
 * remote server is recorded in the observation instead (see ProbeError).
 *
 * One base, CheckerError, with a closed set of codes: every place that
 * reacts to an error (the CLI's exit message, the service's HTTP status
 * table) can be checked for exhaustiveness by the compiler.
 */
import type { Phase, Reply } from './observation.js';

/** Stable, dotted codes. Adding one makes the service's status table fail to compile until it is mapped. */
export type ErrorCode =
  // Input: a person or a host gave something that cannot be made valid.
  | 'option.invalid' // a per-check option (domain, timeout, probe address, MX service…)
  | 'setting.invalid' // a deployment setting (flag or environment variable)
  | 'usage.invalid' // a command line that does not parse
  | 'command.unsafe' // a value that would be unsafe on the SMTP wire (CR, LF, bad address…)
  // Our side failed.
  | 'output.unwritable' // the CLI cannot write the file it was asked to
  | 'backend.unreachable' // the fleet's queue (Redis) or result store (PostgreSQL) cannot be reached or refuses us
  | 'package.not_found' // the install is broken: no package.json above the code
  | 'schema.conflict' // the contract's schemas contradict themselves (two definitions under one name)
  | 'probe.aborted' // unwinds one endpoint dialogue; caught and recorded as its ProbeError
  | 'demo.unavailable' // the demo world cannot start here (the machine will not listen on its loopback addresses)
  // The web service's own answers.
  | 'http.body_invalid' // bad JSON, or a body the request schema refuses
  | 'http.body_too_large'
  | 'http.media_type' // a content type we cannot parse
  | 'http.bad_request' // any other malformed request fastify refuses
  | 'http.unauthorized'
  | 'http.forbidden_domain' // the domain is outside the deployment's allow-list
  | 'http.not_found'
  | 'http.method_not_allowed' // a known route asked with another method
  | 'http.rate_limited'
  | 'http.internal'; // a bug: answered without details, logged with them

export interface CheckerErrorDetails {
  cause?: unknown;
  /** The step of an SMTP dialogue the error belongs to. */
  phase?: Phase;
  /** The SMTP reply that provoked it. */
  reply?: Reply;
}

export class CheckerError extends Error {
  readonly code: ErrorCode;
  // Declared, not defined: absent (not undefined) when they do not apply, like `cause`.
  declare readonly phase?: Phase;
  declare readonly reply?: Reply;

  constructor(code: ErrorCode, message: string, details: CheckerErrorDetails = {}) {
    super(message, 'cause' in details ? { cause: details.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    if (details.phase !== undefined) this.phase = details.phase;
    if (details.reply !== undefined) this.reply = details.reply;
  }
}

/** An option value that cannot be made valid. `option` names the offending option id. */
export class OptionError extends CheckerError {
  readonly option: string;

  constructor(option: string, message: string, details: Pick<CheckerErrorDetails, 'cause'> = {}) {
    super('option.invalid', message, details);
    this.option = option;
  }
}
