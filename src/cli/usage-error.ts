/** A command line that does not parse; the CLI prints the message and the command's usage, and exits 3. */
import { CheckerError, type CheckerErrorDetails } from '../model/errors.js';

export class UsageError extends CheckerError {
  constructor(message: string, details: Pick<CheckerErrorDetails, 'cause'> = {}) {
    super('usage.invalid', message, details);
  }
}
