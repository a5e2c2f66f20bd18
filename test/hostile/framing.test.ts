/**
 * Hostile catalogue, part 1: servers whose bytes misbehave before or around
 * EHLO (silence, a drip, endless or enormous replies, resets, bytes that are
 * not text, codes out of range). Each runs beside a healthy endpoint of the
 * same domain; see beside-healthy.ts for what every case must hold.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ENDPOINT_BYTES, MAX_REPLY_LINE_BYTES, MAX_REPLY_LINES } from '../../src/model/limits.js';
import { renderText } from '../../src/presentation/text/render-text.js';
import { runDialogue } from '../peers/scripted-dialogue.js';
import { hostileMx, startBench, type HostileBench, type HostilePeer, type HostileRun } from './beside-healthy.js';
import { HOSTILE_NAME, flood, greetAndReadEhlo, wellRunServer } from './hostile-steps.js';

/** This file's loopback addresses (range 127.0.0.170–179). */
const HOSTS = { healthy: '127.0.0.170', hostile: '127.0.0.171' };
/** Budget for every case: small, so a hang shows as a failed time assertion, not a stuck suite. */
const BUDGET_S = 2;
/** Long enough to outlive any budget here: a script that sleeps this long is hanging on purpose. */
const FOREVER_MS = 30_000;

/** What must never be passed on raw from a server: C0 and C1 controls and DEL (a line feed ends a line). */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

let bench: HostileBench;
before(async () => {
  bench = await startBench(HOSTS);
});
after(async () => {
  await bench.close();
});

/** The codes of the hostile endpoint's non-OK states, and a check that each message says `words`. */
function codesSaying(run: HostileRun, words: RegExp): string[] {
  for (const state of run.findings) assert.match(state.message, words, `${state.code}: ${state.message}`);
  return run.findings.map((s) => s.code ?? '');
}

test('silence after connect: banner timeout at the budget', async () => {
  const run = await bench.run('silence', 'silent', BUDGET_S);
  assert.deepEqual(run.hostile.error, {
    code: 'timeout',
    phase: 'greeting',
    message: `the ${BUDGET_S} s time budget ran out`,
  });
  assert.deepEqual(codesSaying(run, /sent no greeting within the checker's 2 s budget/), ['smtp.banner.timeout']);
  assert.equal(run.hostile.bytes_received, 0);
});

test('a greeting at one byte per second: cut at the budget, and the partial greeting is named', async () => {
  const run = await bench.run(
    'drip',
    (conn) => conn.sendSlowly(`220 ${HOSTILE_NAME} ESMTP\r\n`, { chunkBytes: 1, delayMs: 1000 }),
    BUDGET_S,
  );
  assert.deepEqual([run.hostile.error?.code, run.hostile.error?.phase], ['timeout', 'greeting']);
  assert.ok(
    run.hostile.bytes_received >= 1 && run.hostile.bytes_received <= BUDGET_S + 1,
    `${run.hostile.bytes_received} bytes`,
  );
  assert.deepEqual(codesSaying(run, /only \d+ bytes? of a greeting/), ['smtp.banner.timeout']);
});

test('a line without end: cut at the line limit, long before the byte cap', async () => {
  const run = await bench.run(
    'endless',
    async (conn) => {
      await conn.send('220-');
      await conn.send(Buffer.alloc(MAX_REPLY_LINE_BYTES * 2, 'x'));
      await conn.sleep(FOREVER_MS);
    },
    BUDGET_S,
  );
  assert.deepEqual([run.hostile.error?.code, run.hostile.error?.phase], ['reply.line_too_long', 'greeting']);
  assert.ok(run.hostile.bytes_received <= MAX_REPLY_LINE_BYTES * 2 + 4);
  assert.deepEqual(codesSaying(run, new RegExp(`longer than ${MAX_REPLY_LINE_BYTES} bytes`)), ['smtp.banner.invalid']);
});

test('a 10 MB single reply to EHLO stops at the per-endpoint byte cap', async () => {
  const line = `250-${'y'.repeat(MAX_REPLY_LINE_BYTES - 4)}\r\n`;
  const run = await bench.run(
    'megareply',
    async (conn) => {
      if (!(await greetAndReadEhlo(conn))) return;
      await flood(conn, line, 10 * 1024 * 1024, 16);
      await conn.send('250 end of a very long reply\r\n');
    },
    BUDGET_S,
  );
  assert.deepEqual([run.hostile.error?.code, run.hostile.error?.phase], ['bytes_exceeded', 'ehlo']);
  assert.deepEqual(codesSaying(run, new RegExp(`more than ${MAX_ENDPOINT_BYTES} bytes`)), ['smtp.ehlo.no_answer']);
  assert.deepEqual(
    run.connections[0]!.lines.map((l) => l.text),
    ['EHLO mx-checker.happydomain.org'],
    'nothing sent after EHLO',
  );
});

test('a 100 000-line reply to EHLO stops at the line limit', async () => {
  const run = await bench.run(
    'manylines',
    async (conn) => {
      if (!(await greetAndReadEhlo(conn))) return;
      await flood(conn, '250-X-LINE\r\n', 100_000 * 12, 1000);
      await conn.send('250 end\r\n');
    },
    BUDGET_S,
  );
  assert.deepEqual([run.hostile.error?.code, run.hostile.error?.phase], ['reply.too_many_lines', 'ehlo']);
  assert.deepEqual(codesSaying(run, new RegExp(`more than ${MAX_REPLY_LINES} lines`)), ['smtp.ehlo.no_answer']);
  assert.equal(run.hostile.extensions, null, 'nothing of the cut reply is taken as extensions');
});

test('a connection reset in the middle of the EHLO reply', async () => {
  const run = await bench.run(
    'reset',
    async (conn) => {
      if (!(await greetAndReadEhlo(conn))) return;
      await conn.send(`250-${HOSTILE_NAME}\r\n250-PIPE`);
      await conn.reset();
    },
    BUDGET_S,
  );
  assert.deepEqual([run.hostile.error?.code, run.hostile.error?.phase], ['reset', 'ehlo']);
  assert.ok(
    run.hostile.transcript.some((l) => l.dir === 'S' && l.text === `250-${HOSTILE_NAME}`),
    'what arrived before the reset is in the transcript',
  );
  assert.deepEqual(codesSaying(run, /connection reset by the server/), ['smtp.ehlo.no_answer']);
});

test('NUL and 8-bit bytes in replies are kept as data and never reach the terminal raw', async () => {
  const raw = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
  const greeting = raw('220 mx\u0000evil ', [0xff, 0xfe, 0xe9], ' ESMTP\x1b[2J\r\n');
  const ehloReply = raw(
    `250-${HOSTILE_NAME}\r\n250-X-NUL\u0000KEY\r\n250-X-`,
    [0xe9, 0x80, 0xc3],
    '\r\n250 PIPELINING\r\n',
  );
  const answers: Record<string, Buffer> = {
    MAIL: raw('250 2.1.0 Ok \u0000', [0xc0, 0xaf], '\r\n'),
    RCPT: raw('250 2.1.5 Ok \x07\x1b]0;pwned\x07\r\n'),
    RSET: raw('250 2.0.0 Ok\r\n'),
    QUIT: raw('221 2.0.0 Bye \u0000\r\n'),
  };
  const run = await bench.run(
    'eightbit',
    async (conn) => {
      await conn.send(greeting);
      if ((await conn.readLine()) === null) return;
      await conn.send(ehloReply);
      for (let line = await conn.readLine(); line !== null; line = await conn.readLine()) {
        const verb = line.slice(0, 4).toUpperCase();
        await conn.send(answers[verb] ?? raw('502 5.5.2 What\r\n'));
        if (verb === 'QUIT') return;
      }
    },
    BUDGET_S,
  );
  assert.equal(run.hostile.error, null, 'odd bytes in a reply are data, not a failure');
  assert.equal(run.hostile.greeting?.lines[0], '220 mx\u0000evil \ufffd\ufffd\ufffd ESMTP\u001b[2J');
  assert.equal(run.hostile.greeting_host, null, 'a host name with a NUL is not a host name');
  assert.ok(run.hostile.extensions?.keywords.includes('X-NUL\u0000KEY'));
  assert.deepEqual(
    run.hostile.transactions.map((t) => t.outcome),
    ['accepted', 'accepted', 'accepted'],
  );
  // It names no host in its greeting, accepts any recipient and offers no STARTTLS: findings of their own, whose messages quote its replies.
  assert.deepEqual(
    run.findings.map((s) => s.code),
    ['smtp.banner.no_hostname', 'smtp.ext.missing', 'smtp.open_relay', 'smtp.starttls.missing'],
  );
  for (const state of run.states)
    assert.doesNotMatch(state.message, CONTROL_CHARACTER, `raw control character in ${JSON.stringify(state.message)}`);
  const text = renderText(run.observation, run.states, { color: false });
  assert.doesNotMatch(text.replace(/\n/g, ''), CONTROL_CHARACTER, 'no control character reaches the terminal');
});

const OUT_OF_RANGE: {
  code: string;
  phase: 'greeting' | 'ehlo' | 'null_sender';
  state: string;
  script: (line: string, mx: string) => HostilePeer;
}[] = [
  {
    code: '099',
    phase: 'greeting',
    state: 'smtp.banner.invalid',
    script: (line) => async (conn) => {
      await conn.send(line);
      await conn.sleep(FOREVER_MS);
    },
  },
  {
    code: '600',
    phase: 'ehlo',
    state: 'smtp.ehlo.no_answer',
    script: (line) => async (conn) => {
      if (!(await greetAndReadEhlo(conn))) return;
      await conn.send(line);
      await conn.sleep(FOREVER_MS);
    },
  },
  {
    code: '2x0',
    phase: 'null_sender',
    state: 'smtp.null_sender.no_answer',
    // A full Postfix-like session up to MAIL, so the malformed answer is its only fault.
    script: (line, mx) => (conn) => runDialogue(conn, { ...wellRunServer(mx), mailFrom: () => line }),
  },
];

for (const { code, phase, state, script } of OUT_OF_RANGE) {
  test(`reply code ${code} at ${phase} is malformed, said so at once`, async () => {
    const name = `code${code.replace(/\W/g, '')}`;
    const run = await bench.run(name, script(`${code} out of range\r\n`, hostileMx(name)), BUDGET_S);
    assert.deepEqual([run.hostile.error?.code, run.hostile.error?.phase], ['reply.malformed', phase]);
    assert.ok(
      run.hostile.timings.total_ms < BUDGET_S * 1000,
      'a malformed reply ends the dialogue at once, not at the budget',
    );
    assert.deepEqual(codesSaying(run, new RegExp(`Not an SMTP reply line.*"${code} out of range"`)), [state]);
  });
}
