/**
 * TLS sessions a run may resume: what a bulk run (collectMany, `batch`, a
 * fleet worker) keeps of the full handshakes it made, so that its next
 * connection to the same MX (same address, port and SNI name) resumes the
 * session instead of redoing the key exchange and the certificate checks,
 * on both sides: a third of a probe's CPU here, and the server's signature.
 *
 * A resumed handshake carries no certificate, so the entry also keeps what
 * the full handshake showed (the chain, its verdict, the key exchange): a
 * resumed connection reports those, says so (`resumed_from`, the time of the
 * full handshake) and the run makes a new full handshake once an entry is
 * TLS_RESUME_MAX_AGE_MS old, so no verdict rests on a certificate seen long
 * ago. A single `check` never resumes: an operator who has just fixed a
 * certificate must see the new one.
 */
import { createHash } from 'node:crypto';
import type { TlsInfo } from '../../model/observation.js';
import { TLS_RESUME_MAX_AGE_MS, TLS_RESUME_MAX_ENTRIES } from '../../model/limits.js';

/** What a full handshake left for the next connection. */
export interface ResumableSession {
  /** The session to offer (node:tls's serialized session, the server's latest ticket). */
  session: Buffer;
  /** What the full handshake showed; a resumed connection reports it. */
  tls: TlsInfo;
  /** When the full handshake was made (ms since the epoch). */
  at: number;
}

export class TlsSessions {
  private readonly entries = new Map<string, ResumableSession>();
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: { maxAgeMs?: number; maxEntries?: number; now?: () => number } = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? TLS_RESUME_MAX_AGE_MS;
    this.maxEntries = opts.maxEntries ?? TLS_RESUME_MAX_ENTRIES;
    this.now = opts.now ?? Date.now;
  }

  /** The session to offer to `key`, if a full handshake made one recently enough. */
  get(key: string): ResumableSession | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (this.now() - entry.at >= this.maxAgeMs) {
      this.entries.delete(key);
      return null;
    }
    return entry.session.length > 0 ? entry : null;
  }

  /** A full handshake to `key` just completed: what it showed, for the connections that follow. */
  handshake(key: string, tls: TlsInfo): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    // No ticket yet: the server sends it after the handshake (ticket() fills it in).
    this.entries.set(key, { session: Buffer.alloc(0), tls, at: this.now() });
  }

  /** A ticket for `key` arrived: offer it next time (a full handshake's facts stay, and so does their age). */
  ticket(key: string, session: Buffer): void {
    const entry = this.entries.get(key);
    if (entry) entry.session = session;
  }

  /** Stop offering `key`'s session (its resumption failed). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The cache key: one server name on one address and port, under one trust store. */
export function sessionKey(address: string, port: number, servername: string | null, trustStore: string[]): string {
  return `${address}|${port}|${servername ?? ''}|${trustStoreId(trustStore)}`;
}

/** A trust store's digest, computed once per array (a store is hundreds of PEM roots). */
const trustStores = new WeakMap<string[], string>();
function trustStoreId(store: string[]): string {
  let id = trustStores.get(store);
  if (id === undefined) {
    id = createHash('sha256').update(store.join('\n')).digest('base64').slice(0, 16);
    trustStores.set(store, id);
  }
  return id;
}
