/**
 * The addresses of the distributed mode's two backends, as a user types
 * them: the queue (`--queue redis://HOST:PORT[/DB]`) and the result store
 * (`--store postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`). Checked
 * before anything connects; a bad one is refused quoting it, a password
 * never repeated.
 */
import { CheckerError } from '../model/errors.js';
import { quote } from '../model/text.js';

/** Redis's own default port. */
const REDIS_PORT = 6379;
/** Redis's default build has databases 0–15 (`databases 16` in redis.conf); a server may have more. */
const REDIS_MAX_DB = 255;

export interface QueueAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** The URL as said in messages: the password replaced by "***". */
  display: string;
}

export interface StoreAddress {
  /** The connection string for `pg`, as given. */
  url: string;
  /** As said in messages: the password replaced by "***". */
  display: string;
}

function redacted(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password !== '') copy.password = '***';
  return copy.href;
}

/** Parse a URL, or say which flag's value is not one (the password masked in the message). */
function parseUrl(flag: string, text: string, example: string): URL {
  try {
    return new URL(text.trim());
  } catch {
    const shown = text.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
    throw new CheckerError('setting.invalid', `${flag} ${quote(shown)} is not a URL: expected ${example}.`);
  }
}

export function parseQueueUrl(text: string): QueueAddress {
  const example = 'redis://HOST:PORT or redis://HOST:PORT/DB';
  const url = parseUrl('--queue', text, example);
  const display = redacted(url);
  if (url.protocol !== 'redis:')
    throw new CheckerError('setting.invalid', `--queue ${quote(display)} is not a redis:// URL: expected ${example}.`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new CheckerError('setting.invalid', `--queue ${quote(display)} names no host.`);
  const port = url.port === '' ? REDIS_PORT : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : /^\d{1,3}$/.test(dbText) ? Number(dbText) : NaN;
  if (!Number.isInteger(db) || db > REDIS_MAX_DB)
    throw new CheckerError(
      'setting.invalid',
      `--queue ${quote(display)}: the database must be a number from 0 to ${REDIS_MAX_DB} after the port, got ${quote(dbText)}.`,
    );
  if (url.search !== '' || url.hash !== '')
    throw new CheckerError('setting.invalid', `--queue ${quote(display)}: no query or fragment is understood.`);
  return {
    host,
    port,
    db,
    ...(url.username !== '' ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password !== '' ? { password: decodeURIComponent(url.password) } : {}),
    display,
  };
}

export function parseStoreUrl(text: string): StoreAddress {
  const example = 'postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE';
  const url = parseUrl('--store', text, example);
  const display = redacted(url);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new CheckerError(
      'setting.invalid',
      `--store ${quote(display)} is not a postgres:// URL: expected ${example}.`,
    );
  if (url.hostname === '') throw new CheckerError('setting.invalid', `--store ${quote(display)} names no host.`);
  return { url: text.trim(), display };
}
