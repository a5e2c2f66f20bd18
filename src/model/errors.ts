/**
 * Errors we throw: only for invalid input or our own bugs. A misbehaving
 * remote server is recorded in the observation instead (see ProbeError).
 */
export class CheckerError extends Error {
  /** Stable, dotted code, e.g. "option.invalid". */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckerError';
    this.code = code;
  }
}

/** An option value that cannot be made valid. `option` names the offending option id. */
export class OptionError extends CheckerError {
  readonly option: string;

  constructor(option: string, message: string) {
    super('option.invalid', message);
    this.name = 'OptionError';
    this.option = option;
  }
}
