/**
 * `--store postgres://…`: every result as one row of PostgreSQL, so the
 * history of a fleet can be queried and two runs compared in SQL. One row
 * per check: the batch, the domain, when, the worst status (the CLI's
 * integer and its name), the states and the observation as jsonb, the
 * error of an error line. The table is created when missing.
 *
 * A row is keyed by (batch_id, domain) and written with ON CONFLICT DO
 * NOTHING: a job redone after its worker died, or a coordinator and a
 * worker both storing, still leave one row per domain and batch.
 */
import pg from 'pg';
import type { StoreAddress } from '../config/backend-url.js';
import type { BatchLine } from '../model/batch-line.js';
import { CheckerError } from '../model/errors.js';
import { FLEET_CONNECT_TIMEOUT_MS } from '../model/fleet-limits.js';

export const STORE_TABLE = 'smtp_checks';

/** Connections per process: rows go in one statement per chunk, a few chunks at a time. */
const STORE_POOL_SIZE = 4;
/** Any fixed number: serialises the CREATE TABLE of several workers starting at once (it races otherwise). */
const SCHEMA_LOCK_ID = 0x636b736d; // "cksm"

export const STORE_SCHEMA = `CREATE TABLE IF NOT EXISTS ${STORE_TABLE} (
  batch_id    text        NOT NULL,
  domain      text        NOT NULL,
  checked_at  timestamptz NOT NULL,
  status      smallint    NOT NULL, -- the worst status as the CLI's exit code: 0 OK/INFO, 1 WARN, 2 CRIT, 3 UNKNOWN/ERROR
  status_name text        NOT NULL, -- OK, INFO, WARN, CRIT, UNKNOWN, ERROR
  states      jsonb       NOT NULL, -- every rule state, as check --json gives them
  observation jsonb,                -- the whole observation; null on an error line
  error       text,                 -- only on an error line
  PRIMARY KEY (batch_id, domain)
);
CREATE INDEX IF NOT EXISTS ${STORE_TABLE}_domain ON ${STORE_TABLE} (domain, checked_at DESC);`;

const INSERT = `INSERT INTO ${STORE_TABLE} (batch_id, domain, checked_at, status, status_name, states, observation, error)
SELECT $1, r.domain, r.checked_at, r.status, r.status_name, r.states, r.observation, r.error
FROM jsonb_to_recordset($2::jsonb) AS r(domain text, checked_at timestamptz, status smallint, status_name text,
                                        states jsonb, observation jsonb, error text)
ON CONFLICT (batch_id, domain) DO NOTHING`;

export interface ResultStore {
  /** Write `lines` of `batch` (with their observation when they carry one); resolves once committed. */
  save(batch: string, lines: readonly BatchLine[]): Promise<void>;
  close(): Promise<void>;
}

/** jsonb refuses the NUL character a hostile server may have put in a reply; it is kept as U+FFFD. */
function jsonForStore(lines: readonly BatchLine[]): string {
  return JSON.stringify(lines, (_key, value: unknown) =>
    typeof value === 'string' && value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value,
  );
}

function unreachable(address: StoreAddress, err: unknown): CheckerError {
  return new CheckerError(
    'backend.unreachable',
    `Cannot use the store ${address.display}: ${(err as Error).message}.`,
    { cause: err },
  );
}

/** Connect, create the table if missing, and hand back the store; says at once when it cannot. */
export async function openResultStore(address: StoreAddress): Promise<ResultStore> {
  const pool = new pg.Pool({
    connectionString: address.url,
    max: STORE_POOL_SIZE,
    connectionTimeoutMillis: FLEET_CONNECT_TIMEOUT_MS,
  });
  // An idle connection the server drops is replaced at the next query; without a listener it would crash us.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_ID]);
      await client.query(STORE_SCHEMA);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw unreachable(address, err);
  }
  return {
    async save(batch, lines) {
      if (lines.length === 0) return;
      try {
        await pool.query(INSERT, [batch, jsonForStore(lines)]);
      } catch (err) {
        throw unreachable(address, err);
      }
    },
    close: () => pool.end(),
  };
}
