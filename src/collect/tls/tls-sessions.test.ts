import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TlsInfo } from '../../model/observation.js';
import { TlsSessions, sessionKey } from './tls-sessions.js';

const info = (cipher: string): TlsInfo => ({
  version: 'TLSv1.3',
  cipher,
  ephemeral: null,
  chain: [],
  chain_trusted: true,
  chain_error: null,
  sni: 'mx.example.test',
});
const ticket = (n: number) => Buffer.from([n]);

describe('TlsSessions', () => {
  it('offers nothing until the full handshake has left a ticket, then the latest ticket with that handshake', () => {
    const s = new TlsSessions();
    s.ticket('k', ticket(1)); // a ticket without a handshake on record is not kept
    assert.equal(s.get('k'), null);
    s.handshake('k', info('A'));
    assert.equal(s.get('k'), null, 'no ticket yet');
    s.ticket('k', ticket(2));
    s.ticket('k', ticket(3));
    assert.deepEqual([s.get('k')?.session, s.get('k')?.tls.cipher], [ticket(3), 'A']);
  });

  it('stops offering an entry once the full handshake is maxAgeMs old, whatever tickets came since', () => {
    let now = 0;
    const s = new TlsSessions({ maxAgeMs: 100, now: () => now });
    s.handshake('k', info('A'));
    now = 99;
    s.ticket('k', ticket(1));
    assert.notEqual(s.get('k'), null);
    now = 100;
    assert.equal(s.get('k'), null);
    assert.equal(s.size, 0);
  });

  it('keeps at most maxEntries, dropping the oldest handshake; forget() drops one', () => {
    const s = new TlsSessions({ maxEntries: 2 });
    for (const k of ['a', 'b', 'c']) {
      s.handshake(k, info(k));
      s.ticket(k, ticket(1));
    }
    assert.deepEqual(
      ['a', 'b', 'c'].map((k) => s.get(k)?.tls.cipher ?? null),
      [null, 'b', 'c'],
    );
    s.forget('b');
    assert.equal(s.get('b'), null);
  });

  it('keys on address, port, SNI name and the trust store’s content', () => {
    const store = ['PEM A'];
    const same = sessionKey('192.0.2.1', 25, 'mx.a.test', store);
    assert.equal(sessionKey('192.0.2.1', 25, 'mx.a.test', ['PEM A']), same, 'equal stores, equal keys');
    for (const other of [
      sessionKey('192.0.2.2', 25, 'mx.a.test', store),
      sessionKey('192.0.2.1', 587, 'mx.a.test', store),
      sessionKey('192.0.2.1', 25, 'mx.b.test', store),
      sessionKey('192.0.2.1', 25, null, store),
      sessionKey('192.0.2.1', 25, 'mx.a.test', ['PEM B']),
    ])
      assert.notEqual(other, same);
  });
});
