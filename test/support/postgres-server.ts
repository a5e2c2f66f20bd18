/**
 * A private PostgreSQL for a test: Debian's binaries (initdb, postgres) on a
 * free loopback port, the cluster in a temporary directory (no fsync: it
 * dies with the test), stopped and removed after. Never the system's
 * cluster. PostgreSQL refuses to run as root: as root, the cluster belongs
 * to the `postgres` system user and the daemon runs as that user.
 *
 *   const pg = await startPostgres();   // pg.url: postgres://checker@127.0.0.1:PORT/postgres
 *   ...
 *   await pg.stop();
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon } from './daemon.js';
import { freePort } from './free-port.js';

/** Where Debian puts each major version's server binaries. */
const DEBIAN_PG_ROOT = '/usr/lib/postgresql';
/** The system user a root process runs the cluster as (created by Debian's postgresql-common). */
const PG_SYSTEM_USER = 'postgres';
/** The superuser of the test cluster, trusted on loopback: no password in tests. */
const PG_TEST_USER = 'checker';
const START_ATTEMPTS = 3;

export interface PostgresInstance {
  readonly port: number;
  /** postgres://checker@HOST:PORT/postgres */
  readonly url: string;
  stop(): Promise<void>;
}

/** The newest installed major version's bin directory, or null. */
function binDir(): string | null {
  if (!existsSync(DEBIAN_PG_ROOT)) return null;
  const versions = readdirSync(DEBIAN_PG_ROOT)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(DEBIAN_PG_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(DEBIAN_PG_ROOT, versions[0]!, 'bin') : null;
}

function systemUser(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', PG_SYSTEM_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', PG_SYSTEM_USER], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

const isRoot = () => process.getuid?.() === 0;

/** What this machine lacks to start PostgreSQL, in words (empty: nothing). */
export function postgresMissing(): string[] {
  if (binDir() === null) return [`PostgreSQL server not installed (no ${DEBIAN_PG_ROOT}/N/bin/initdb)`];
  if (isRoot() && systemUser() === null) return [`running as root without a "${PG_SYSTEM_USER}" user to run it as`];
  return [];
}

export const POSTGRES_HINT = 'run: apt-get install -y postgresql';

export async function startPostgres(options: { host?: string } = {}): Promise<PostgresInstance> {
  const host = options.host ?? '127.0.0.1';
  const bin = binDir();
  if (bin === null) throw new Error(postgresMissing().join(', '));
  const owner = isRoot() ? systemUser() : null;
  const runAs = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const dir = mkdtempSync(join(tmpdir(), 'checker-smtp-pg-'));
  const data = join(dir, 'data');
  if (owner) chownSync(dir, owner.uid, owner.gid);
  try {
    execFileSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', PG_TEST_USER, '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C'],
      { ...runAs, stdio: 'pipe', cwd: dir },
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`initdb failed: ${e.stderr?.toString() ?? e.message}`, { cause: err });
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort(host);
    let daemon: Daemon;
    try {
      daemon = await startDaemon(
        'postgres',
        join(bin, 'postgres'),
        [
          '-D',
          data,
          '-p',
          String(port),
          '-k',
          dir, // the Unix socket beside the data, not in /run/postgresql
          '-c',
          `listen_addresses=${host}`,
          // A throwaway cluster: durability costs time and buys nothing.
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'full_page_writes=off',
        ],
        /database system is ready to accept connections/,
        { ...runAs, cwd: dir },
      );
    } catch (err) {
      lastError = err;
      continue;
    }
    return {
      port,
      url: `postgres://${PG_TEST_USER}@${host}:${port}/postgres`,
      async stop() {
        // SIGINT: PostgreSQL's fast shutdown (sessions ended, no waiting for clients).
        await daemon.stop('SIGINT');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
