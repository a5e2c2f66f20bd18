/**
 * One line of a batch's JSONL output: the result for one domain. The
 * contract between whatever computes results (the batch engine here, workers
 * behind a queue later) and whatever reads them (the output file, resume,
 * the fleet summary, a comparison with a previous run, a store).
 *
 * `facts` carries the few endpoint facts the fleet summary counts (STARTTLS,
 * TLS version, FCrDNS, IPv6, MX names), so the summary needs no observation
 * and a line stays a few KiB; `observation` is there only with `--full`.
 */
import Type, { type Static } from 'typebox';
import { CheckStateSchema } from './status.js';

export const BatchFactsSchema = Type.Object(
  {
    mx: Type.Array(Type.String(), { description: 'MX target names, by preference (none for an implicit or null MX).' }),
    null_mx: Type.Boolean({ description: 'The domain publishes a null MX (RFC 7505): it receives no mail.' }),
    endpoints: Type.Integer({ minimum: 0, description: 'Endpoints (address and port) planned.' }),
    reachable: Type.Integer({ minimum: 0, description: 'Endpoints that accepted the TCP connection.' }),
    starttls: Type.Integer({ minimum: 0, description: 'Endpoints whose STARTTLS handshake completed.' }),
    tls12: Type.Integer({ minimum: 0, description: 'Endpoints that negotiated TLS 1.2 or later.' }),
    fcrdns: Type.Integer({ minimum: 0, description: 'Endpoints whose address has forward-confirmed reverse DNS.' }),
    ipv6: Type.Integer({ minimum: 0, description: 'IPv6 endpoints planned.' }),
    ipv6_reachable: Type.Integer({ minimum: 0, description: 'IPv6 endpoints that accepted the TCP connection.' }),
  },
  { description: 'Endpoint facts of one domain, counted for the fleet summary.' },
);
export type BatchFacts = Static<typeof BatchFactsSchema>;

export const BatchLineSchema = Type.Object(
  {
    domain: Type.String({
      description: 'The domain checked (lower case, A-labels), or the input text when it named no domain.',
    }),
    input_line: Type.Integer({ minimum: 1, description: 'Line of the input where the domain first appeared.' }),
    checked_at: Type.String({ description: 'When collection started (RFC 3339), or when the line was refused.' }),
    status: Type.Enum([0, 1, 2, 3], {
      description:
        "The verdict as the CLI's exit code: 0 OK/INFO, 1 WARN, 2 CRIT, 3 UNKNOWN (could not be tested) or ERROR.",
    }),
    status_name: Type.Enum(['OK', 'INFO', 'WARN', 'CRIT', 'UNKNOWN', 'ERROR'], {
      description: 'The verdict status by name (tells OK from INFO, UNKNOWN from ERROR).',
    }),
    states: Type.Array(CheckStateSchema, { description: 'Every rule state; empty for an error line.' }),
    facts: Type.Union([BatchFactsSchema, Type.Null()], { description: 'Endpoint facts; null for an error line.' }),
    error: Type.Optional(
      Type.String({ description: 'Why there is no result: the input named no domain, or the check failed.' }),
    ),
    observation: Type.Optional(Type.Unknown({ description: 'The whole observation (with --full).' })),
  },
  { description: 'One line of the batch output: the result for one domain.' },
);
export type BatchLine = Static<typeof BatchLineSchema>;

/** What the readers of an output need of a line: checked cheaply, not against the whole schema (a million lines). */
export type ParsedBatchLine = Pick<BatchLine, 'domain' | 'status' | 'status_name' | 'states' | 'facts'> & {
  error: string | null;
};

const STATUS_NAMES = new Set<string>(['OK', 'INFO', 'WARN', 'CRIT', 'UNKNOWN', 'ERROR']);

/**
 * A line of an output file read back (resume, summary, compare): null when
 * it is not a result line (a line cut by a crash, or another program's
 * text). Only the fields readers use are checked; `states` keeps the items
 * that have a numeric status.
 */
export function parseBatchLine(text: string): ParsedBatchLine | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const d = doc as Record<string, unknown>;
  const status = d['status'];
  const name = d['status_name'];
  if (typeof d['domain'] !== 'string' || d['domain'] === '') return null;
  if (status !== 0 && status !== 1 && status !== 2 && status !== 3) return null;
  if (typeof name !== 'string' || !STATUS_NAMES.has(name)) return null;
  const states = Array.isArray(d['states'])
    ? (d['states'] as unknown[]).filter(
        (s): s is BatchLine['states'][number] =>
          typeof s === 'object' && s !== null && typeof (s as { status?: unknown }).status === 'number',
      )
    : [];
  const facts = typeof d['facts'] === 'object' && d['facts'] !== null ? (d['facts'] as BatchFacts) : null;
  return {
    domain: d['domain'],
    status,
    status_name: name as BatchLine['status_name'],
    states,
    facts,
    error: typeof d['error'] === 'string' ? d['error'] : null,
  };
}
