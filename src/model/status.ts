import { plural } from './text.js';
import Type, { type Static } from 'typebox';
import { recordOf } from './json-schema.js';

/** Status values of the host protocol (PROTOCOL.md): integers on the wire. */
export const Status = {
  UNKNOWN: 0,
  OK: 1,
  INFO: 2,
  WARN: 3,
  CRIT: 4,
  ERROR: 5,
} as const;

export const StatusSchema = Type.Enum(
  [Status.UNKNOWN, Status.OK, Status.INFO, Status.WARN, Status.CRIT, Status.ERROR],
  {
    description:
      '0 UNKNOWN (the rule could not decide), 1 OK, 2 INFO, 3 WARN, 4 CRIT, 5 ERROR (the check itself failed).',
  },
);
export type StatusValue = Static<typeof StatusSchema>;

export const STATUS_NAMES: Record<StatusValue, string> = {
  0: 'UNKNOWN',
  1: 'OK',
  2: 'INFO',
  3: 'WARN',
  4: 'CRIT',
  5: 'ERROR',
};

/** One finding of one rule (PROTOCOL.md CheckState). */
export const CheckStateSchema = Type.Object(
  {
    status: StatusSchema,
    message: Type.String({ description: 'What the rule found, in words.' }),
    rule: Type.Optional(Type.String({ description: 'The rule that yielded it, e.g. "smtp.open_relay".' })),
    code: Type.Optional(Type.String({ description: 'Dotted finding code, e.g. "smtp.open_relay.accepted".' })),
    subject: Type.Optional(Type.String({ description: 'What it is about: an endpoint "192.0.2.1:25", an MX name…' })),
    meta: Type.Optional(recordOf(Type.Unknown(), { description: 'Details for machines: the fix, the evidence…' })),
  },
  { description: 'One rule state (PROTOCOL.md CheckState).' },
);
export type CheckState = Static<typeof CheckStateSchema>;

/**
 * How bad a status is, for sorting and for the overall verdict. UNKNOWN sits
 * above INFO and below WARN: "could not decide" matters more than a remark,
 * but a confirmed problem outranks it (as in monitoring plugins).
 */
const SEVERITY: Record<StatusValue, number> = { 1: 0, 2: 1, 0: 2, 3: 3, 4: 4, 5: 5 };

export function severity(status: StatusValue): number {
  return SEVERITY[status];
}

/** The worst status among states (OK for none). */
export function worstStatus(states: readonly CheckState[]): StatusValue {
  let worst: StatusValue = Status.OK;
  for (const s of states) if (severity(s.status) > severity(worst)) worst = s.status;
  return worst;
}

/** Monitoring-plugin exit code: 0 OK/INFO, 1 WARN, 2 CRIT, 3 UNKNOWN/ERROR. */
export function exitCodeFor(status: StatusValue): 0 | 1 | 2 | 3 {
  switch (status) {
    case Status.OK:
    case Status.INFO:
      return 0;
    case Status.WARN:
      return 1;
    case Status.CRIT:
      return 2;
    default:
      return 3;
  }
}

/** Counting words per status, worst first (INFO last: notes count only when nothing worse does). */
const COUNT_WORDS: [StatusValue, string, string][] = [
  [Status.ERROR, 'checker error', 'checker errors'],
  [Status.CRIT, 'critical problem', 'critical problems'],
  [Status.WARN, 'warning', 'warnings'],
  [Status.UNKNOWN, 'undecided check', 'undecided checks'],
  [Status.INFO, 'note', 'notes'],
];

/** "2 critical problems, 1 warning" for a verdict line: notes only count when nothing worse does. */
export function countFindings(states: readonly Pick<CheckState, 'status'>[], worst: StatusValue): string {
  return COUNT_WORDS.filter(([s]) => s !== Status.INFO || worst === Status.INFO)
    .map(([s, one, many]) => [states.filter((st) => st.status === s).length, one, many] as const)
    .filter(([n]) => n > 0)
    .map(([n, one, many]) => plural(n, one, many))
    .join(', ');
}
