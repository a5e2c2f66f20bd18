/**
 * Hostile catalogue, part 2: servers that greet and answer EHLO properly,
 * then misbehave at STARTTLS (close, garbage, a stalled handshake, injected
 * plaintext) or in the transactions (silence at RCPT). Each runs beside a
 * healthy endpoint of the same domain; see beside-healthy.ts for what every
 * case must hold.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { reply } from '../peers/scripted-dialogue.js';
import { hostileMx, startBench, type HostileBench, type HostileRun } from './beside-healthy.js';
import {
  FULL_EXTENSIONS,
  answerClientHello,
  greetAndReadEhlo,
  ignoreUntilClosed,
  upToStartTls,
} from './hostile-steps.js';

/** This file's loopback addresses (range 127.0.0.180–189). */
const HOSTS = { healthy: '127.0.0.180', hostile: '127.0.0.181' };
/** Budget for every case: small, so a hang shows as a failed time assertion, not a stuck suite. */
const BUDGET_S = 2;
const SLOW_PEER_BUDGET_S = 3;
/** Long enough to outlive any budget here: a script that sleeps this long is hanging on purpose. */
const FOREVER_MS = 30_000;

let bench: HostileBench;
before(async () => {
  bench = await startBench(HOSTS);
});
after(async () => {
  await bench.close();
});

/** The one finding of the hostile endpoint, by code; its message must say `words`. */
function onlyFinding(run: HostileRun, code: string, words: RegExp): void {
  assert.deepEqual(
    run.findings.map((s) => s.code),
    [code],
    run.findings.map((s) => s.message).join('\n'),
  );
  assert.match(run.findings[0]!.message, words);
}

test('a close right after the STARTTLS 220 is a failed handshake, not "no TLS"', async () => {
  const run = await bench.run(
    'tlsclose',
    async (conn) => {
      if (!(await upToStartTls(conn))) return;
      await conn.send('220 2.0.0 Ready to start TLS\r\n');
      // FIN at once; reading on meanwhile, so the client's close is seen rather than waited out.
      await Promise.all([conn.end(), ignoreUntilClosed(conn)]);
    },
    BUDGET_S,
  );
  assert.deepEqual([run.hostile.starttls.offered, run.hostile.starttls.ok], [true, false]);
  assert.deepEqual([run.hostile.error?.code, run.hostile.error?.phase], ['tls.handshake', 'tls']);
  onlyFinding(run, 'smtp.starttls.failed', /advertises STARTTLS but failed the TLS handshake: .*closed|disconnected/);
});

test('garbage instead of a TLS ServerHello is a failed handshake', async () => {
  const run = await bench.run(
    'tlsgarbage',
    (conn) => answerClientHello(conn, 'this is not TLS at all\r\n'.repeat(4)),
    BUDGET_S,
  );
  assert.deepEqual([run.hostile.starttls.ok, run.hostile.starttls.error?.code], [false, 'tls.handshake']);
  assert.ok(run.hostile.timings.total_ms < BUDGET_S * 1000, 'garbage fails the handshake at once, not at the budget');
  onlyFinding(
    run,
    'smtp.starttls.failed',
    /failed the TLS handshake: .*not TLS|wrong version number|packet length too long/i,
  );
});

test('a TLS handshake that stalls after the ClientHello costs the budget and says so', async () => {
  const run = await bench.run(
    'tlsstall',
    // The ClientHello is read and never answered.
    (conn) => answerClientHello(conn, null),
    BUDGET_S,
  );
  assert.deepEqual([run.hostile.error?.code, run.hostile.error?.phase], ['timeout', 'tls']);
  assert.equal(run.hostile.starttls.error?.code, 'timeout');
  assert.ok(run.connections[0]!.bytesReceived > 'STARTTLS\r\n'.length, 'the ClientHello was sent');
  assert.ok(run.hostile.timings.tls_ms !== null && run.hostile.timings.tls_ms >= BUDGET_S * 1000 - 500);
  onlyFinding(run, 'smtp.starttls.failed', /failed the TLS handshake: .*time budget/);
});

test('plaintext injected after the STARTTLS 220 is discarded, never read as a reply', async () => {
  // This peer checks command synchronisation (30 ms a command): a longer budget, so load cannot cut it short.
  const run = await bench.run('injection', 'starttlsInjection', SLOW_PEER_BUDGET_S);
  assert.equal(run.hostile.error, null);
  assert.equal(run.hostile.starttls.ok, true);
  assert.ok(run.hostile.starttls.discarded_bytes > 0);
  assert.equal(run.hostile.pipelined, false, 'the injected "250 PIPELINING" was not believed');
  assert.ok(
    !run.hostile.transcript.some((l) => l.dir === 'S' && /evil/.test(l.text)),
    'injected lines never reach the transcript as replies',
  );
  // smtp-scenarios' Postfix-like list minus PIPELINING: the INFO is about that, the WARN about the injection.
  assert.deepEqual(
    run.findings.map((s) => s.code),
    ['smtp.ext.missing', 'smtp.starttls.plaintext_injected'],
  );
  assert.match(run.findings[1]!.message, /sent \d+ bytes of plaintext after its 220 to STARTTLS; they were discarded/);
});

test('a server that accepts MAIL then never answers RCPT costs the budget, and says where', async () => {
  const mx = hostileMx('rcptsilence');
  const run = await bench.run(
    'rcptsilence',
    async (conn) => {
      // Everything right until RCPT (the first transaction goes in STARTTLS's flight): then nothing, ever.
      if (!(await greetAndReadEhlo(conn))) return;
      await conn.send(reply(250, mx, ...FULL_EXTENSIONS));
      await conn.readLine();
      await conn.send(reply(250, '2.1.0 Ok'));
      await conn.sleep(FOREVER_MS);
    },
    BUDGET_S,
  );
  assert.deepEqual([run.hostile.error?.code, run.hostile.error?.phase], ['timeout', 'null_sender']);
  assert.deepEqual(run.hostile.outstanding, ['RCPT TO:<postmaster@rcptsilence.test>', 'RSET', 'STARTTLS']);
  assert.deepEqual(
    run.hostile.transactions.map((t) => t.outcome),
    ['error', 'skipped', 'skipped'],
  );
  onlyFinding(
    run,
    'smtp.null_sender.no_answer',
    /gave no usable answer to RCPT TO:<postmaster@rcptsilence\.test>: the 2 s time budget ran out/,
  );
});
