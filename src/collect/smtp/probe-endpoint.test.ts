/**
 * probeEndpoint() against scripted SMTP peers and the in-process DNS server,
 * all on loopback: the operator's checklist step by step (greeting, EHLO,
 * STARTTLS, EHLO again, the transactions, QUIT), the HELO fallback, a
 * refusing greeting, probes switched off, a target the policy refuses, and
 * the time budget running out mid-dialogue.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { leafCertificate, testCa } from '../../../test/peers/certs.js';
import { mailDomainRecords } from '../../../test/peers/dns-records.js';
import { startDnsServer, type DnsServer } from '../../../test/peers/dns-server.js';
import {
  reply,
  runDialogue,
  startScriptedServer,
  type ConnectionScript,
  type DialoguePolicy,
  type ScriptedServer,
} from '../../../test/peers/scripted-smtp.js';
import { parseOptions, type CheckOptions } from '../../config/options.js';
import { parseResolver } from '../../config/settings.js';
import type { EndpointProbe, Phase } from '../../model/observation.js';
import { createDnsClient, type DnsClient } from '../dns/dns-client.js';
import { probeEndpoint, type EndpointTarget, type ProbeContext } from './probe-endpoint.js';

/** Its own loopback address: 127.0.0.1 has names in /etc/hosts, which would answer the PTR lookup. */
const HOST = '127.0.0.110';
const DOMAIN = 'probe.test';
const MX = `mx.${DOMAIN}`;
const HELO = 'checker.probe.test';
/** The recipient of the relay probe (the options' default): outside the tested domain. */
const OUTSIDE = 'postmaster@example.com';
/** Budget for the dialogues that should finish: generous, they take milliseconds on loopback. */
const TIMEOUT_S = 10;
/**
 * Budget for the cases where it must run out. Below the options' 1 s floor
 * (which protects real servers from hurried probes): probeEndpoint() itself
 * takes any budget, and a short one keeps the test fast.
 */
const SHORT_TIMEOUT_S = 0.5;
/** Timer and scheduling slack allowed past a budget on a loaded two-core machine. */
const BUDGET_MARGIN_MS = 1500;

let dns: DnsServer;
let dnsClient: DnsClient;
const peers: ScriptedServer[] = [];

before(async () => {
  dns = await startDnsServer(mailDomainRecords(DOMAIN, [{ name: MX, addresses: [HOST] }]));
  dnsClient = createDnsClient({ resolver: parseResolver(dns.address), timeoutMs: 1000, tries: 1 });
});
after(async () => {
  await Promise.all(peers.map((p) => p.close()));
  await dns.close();
});

async function peer(script: ConnectionScript, allowHalfOpen = false): Promise<ScriptedServer> {
  const p = await startScriptedServer({ host: HOST, script, allowHalfOpen });
  peers.push(p);
  return p;
}

const dialogue = (policy: Partial<DialoguePolicy> = {}, allowHalfOpen = false) =>
  peer((conn) => runDialogue(conn, { hostname: MX, ...policy }), allowHalfOpen);

/** A well-run server: STARTTLS with a certificate for the MX name, PIPELINING, relaying refused. */
const HEALTHY: Partial<DialoguePolicy> = {
  extensions: ['PIPELINING', '8BITMIME', 'STARTTLS'],
  tls: leafCertificate(MX),
  rcptTo: (address) => (address === OUTSIDE ? reply(554, '5.7.1 Relay access denied') : reply(250, '2.1.5 Ok')),
};

function options(extra: Partial<CheckOptions> = {}): CheckOptions {
  return { ...parseOptions({ domain: DOMAIN, helo_name: HELO, timeout: TIMEOUT_S }), ...extra };
}

interface Run {
  probe: EndpointProbe;
  /** Phases as onPhase reported them, a phase reported twice in a row counted once. */
  phases: Phase[];
}

async function probe(p: ScriptedServer, over: Partial<ProbeContext> = {}): Promise<Run> {
  const reported: Phase[] = [];
  const target: EndpointTarget = { address: HOST, family: 4, port: p.port, mx: [MX], preference: 10 };
  const result = await probeEndpoint(target, {
    options: options(),
    dns: dnsClient,
    trustStore: [testCa().cert],
    onPhase: (phase) => reported.push(phase),
    ...over,
  });
  return { probe: result, phases: reported.filter((phase, i) => phase !== reported[i - 1]) };
}

const commands = (e: EndpointProbe) => e.transcript.filter((l) => l.dir === 'C').map((l) => l.text);
const outcomes = (e: EndpointProbe) => e.transactions.map((t) => `${t.kind}:${t.outcome}`);
const notes = (e: EndpointProbe) => e.transactions.map((t) => t.note);

/** The null-sender transaction to postmaster@domain, reset: it answers the postmaster question when accepted. */
const NULL_SENDER = ['MAIL FROM:<>', `RCPT TO:<postmaster@${DOMAIN}>`, 'RSET'];
/** The postmaster probe with the checker's sender, sent only when the null-sender transaction did not answer it. */
const POSTMASTER = [`MAIL FROM:<postmaster@${HELO}>`, `RCPT TO:<postmaster@${DOMAIN}>`, 'RSET'];
const RELAY = [`MAIL FROM:<postmaster@${HELO}>`, `RCPT TO:<${OUTSIDE}>`, 'RSET'];

describe('probeEndpoint() on a healthy server', () => {
  it('greets, says EHLO, sends the null-sender transaction with STARTTLS, says EHLO again over TLS, then the relay probe with QUIT', async () => {
    const p = await dialogue(HEALTHY);
    const { probe: e, phases } = await probe(p);
    assert.deepEqual(phases, [
      'connect',
      'greeting',
      'ehlo',
      'null_sender',
      'starttls',
      'tls',
      'ehlo_tls',
      'open_relay',
      'quit',
    ]);
    // The null-sender transaction to postmaster@ was accepted, so it answers the postmaster question too.
    assert.deepEqual(commands(e), [`EHLO ${HELO}`, ...NULL_SENDER, 'STARTTLS', `EHLO ${HELO}`, ...RELAY, 'QUIT']);

    // What the server saw: the first transaction and STARTTLS in one flight in plaintext (RFC 3207 §4.2
    // lets STARTTLS end a pipelined group), everything after STARTTLS inside TLS, the relay probe and QUIT
    // in one flight: as many round trips as without the plaintext transaction.
    const log = p.connections[0]!;
    assert.equal(log.spokeEarly, false, 'nothing before the whole greeting');
    assert.deepEqual(
      log.lines.map((l) => l.tls),
      [false, false, false, false, false, ...Array<boolean>(RELAY.length + 2).fill(true)],
    );
    const sameRead = log.lines.map((l) => l.sameRead);
    assert.deepEqual(sameRead.slice(1, 5), [false, true, true, true], 'MAIL … STARTTLS written at once');
    assert.deepEqual(sameRead.slice(6), [false, true, true, true], 'MAIL … QUIT written at once');
    assert.equal(log.sentData, false);
  });

  it('spends two MAIL transactions when the null sender is accepted, and says where each ran', async () => {
    const { probe: e } = await probe(await dialogue(HEALTHY));
    assert.deepEqual(
      e.transactions.map((t) => [t.kind, t.tls, t.sequence, t.answered_by]),
      [
        ['null_sender', false, 1, null],
        ['postmaster', false, 1, 'null_sender'],
        ['open_relay', true, 2, null],
      ],
    );
    assert.match(e.transactions[1]!.note!, /answered by the null-sender transaction/);
    assert.equal(e.starttls.plaintext_refused, null);
  });

  it("sends the postmaster probe with the checker's sender when the null sender is refused", async () => {
    const p = await dialogue({
      ...HEALTHY,
      mailFrom: (address) => (address === '' ? reply(550, '5.7.1 Null sender refused') : reply(250, '2.1.0 Ok')),
    });
    const { probe: e } = await probe(p);
    // MAIL refused, so the pipelined RCPT gets 503 from this server too; the postmaster probe follows over TLS.
    assert.deepEqual(commands(e).slice(-7), [...POSTMASTER, ...RELAY, 'QUIT']);
    assert.deepEqual(outcomes(e), ['null_sender:rejected', 'postmaster:accepted', 'open_relay:rejected']);
    assert.deepEqual(
      e.transactions.map((t) => [t.tls, t.sequence]),
      [
        [false, 1],
        [true, 2],
        [true, 3],
      ],
    );
  });

  it('notes a server that refuses mail in plaintext, and runs the transaction again inside TLS', async () => {
    const p = await dialogue({
      ...HEALTHY,
      mailFrom: (_address, session) =>
        session.secure ? reply(250, '2.1.0 Ok') : reply(530, '5.7.0 Must issue a STARTTLS command first'),
    });
    const { probe: e } = await probe(p);
    assert.deepEqual(e.starttls.plaintext_refused, {
      command: 'mail',
      reply: { code: 530, enhanced: '5.7.0', lines: ['530 5.7.0 Must issue a STARTTLS command first'] },
    });
    assert.deepEqual(commands(e).slice(-7), [...NULL_SENDER, ...RELAY, 'QUIT']);
    assert.deepEqual(outcomes(e), ['null_sender:accepted', 'postmaster:accepted', 'open_relay:rejected']);
    assert.deepEqual(
      e.transactions.map((t) => t.tls),
      [true, true, true],
      'judged inside TLS',
    );
  });

  it('records every step of the dialogue in the probe', async () => {
    const { probe: e } = await probe(await dialogue(HEALTHY));
    assert.equal(e.subject, `${HOST}:${e.port}`);
    assert.deepEqual([e.mx, e.preference, e.address, e.family], [[MX], 10, HOST, 4]);
    assert.equal(e.connected, true);
    assert.deepEqual(e.greeting?.lines, [`220 ${MX} ESMTP`]);
    assert.equal(e.greeting_host, MX);
    assert.equal(e.ehlo?.code, 250);
    assert.deepEqual(e.extensions?.keywords, ['PIPELINING', '8BITMIME', 'STARTTLS']);
    assert.equal(e.helo_fallback, false);
    assert.deepEqual(
      [e.starttls.offered, e.starttls.attempted, e.starttls.ok, e.starttls.discarded_bytes, e.starttls.error],
      [true, true, true, 0, null],
    );
    assert.equal(e.starttls.reply?.code, 220);
    assert.equal(e.starttls.tls?.chain_trusted, true);
    assert.equal(e.starttls.tls?.sni, MX);
    assert.deepEqual(e.extensions_tls?.keywords, ['PIPELINING', '8BITMIME'], 'EHLO over TLS, learnt afresh');
    assert.equal(e.pipelined, true);
    assert.deepEqual(outcomes(e), ['null_sender:accepted', 'postmaster:accepted', 'open_relay:rejected']);
    assert.deepEqual(
      e.transactions.map((t) => [t.mail?.code, t.rcpt?.code, t.rset?.code, t.decided_at]),
      [
        [250, 250, 250, 'rcpt'],
        [250, 250, 250, 'rcpt'],
        [250, 554, 250, 'rcpt'],
      ],
    );
    assert.equal(e.quit?.code, 221);
    assert.equal(e.error, null);
    assert.deepEqual([e.reverse_dns.ptr, e.reverse_dns.fcrdns], [[MX], true]);
    for (const [name, ms] of Object.entries(e.timings)) assert.ok(typeof ms === 'number' && ms >= 0, `${name}: ${ms}`);
    assert.ok(e.bytes_received > 0);
    assert.equal(e.transcript_truncated, false);
  });

  it('sends only the transactions the options leave on, noting why the others were not', async () => {
    const p = await dialogue(HEALTHY);
    const { probe: e } = await probe(p, { options: options({ test_postmaster: false, test_open_relay: false }) });
    assert.deepEqual(commands(e), [`EHLO ${HELO}`, ...NULL_SENDER, 'STARTTLS', `EHLO ${HELO}`, 'QUIT']);
    assert.deepEqual(outcomes(e), ['null_sender:accepted', 'postmaster:skipped', 'open_relay:skipped']);
    assert.deepEqual(notes(e), [
      null,
      'switched off by option test_postmaster',
      'switched off by option test_open_relay',
    ]);
    assert.deepEqual(
      e.transactions.slice(1).map((t) => [t.mail, t.rcpt, t.decided_at]),
      [
        [null, null, null],
        [null, null, null],
      ],
    );
    assert.equal(e.pipelined, true);
  });

  it('says QUIT right after EHLO when every probe is switched off, pipelining nothing', async () => {
    const { probe: e } = await probe(await dialogue(HEALTHY), {
      options: options({ test_null_sender: false, test_postmaster: false, test_open_relay: false }),
    });
    assert.deepEqual(commands(e), [`EHLO ${HELO}`, 'STARTTLS', `EHLO ${HELO}`, 'QUIT']);
    assert.deepEqual(outcomes(e), ['null_sender:skipped', 'postmaster:skipped', 'open_relay:skipped']);
    assert.equal(e.pipelined, false);
    assert.equal(e.quit?.code, 221);
  });
});

describe('probeEndpoint() on servers that refuse a step', () => {
  it('falls back to HELO when EHLO is refused, then runs the transactions one command at a time', async () => {
    // strictSync: the server fails a client that sends a command before the previous reply.
    const p = await dialogue({ ehloReply: reply(502, '5.5.2 Error: command not recognized'), strictSync: true });
    const { probe: e, phases } = await probe(p);
    // Without pipelining, QUIT is said without a progress report of its own; the null sender accepted at
    // postmaster@ answers the postmaster probe, so it is not sent.
    assert.deepEqual(phases, ['connect', 'greeting', 'ehlo', 'helo', 'null_sender', 'open_relay']);
    // RFC 5321 §4.1.1.10: QUIT aborts the last transaction, so it gets no RSET of its own.
    assert.deepEqual(commands(e), [`EHLO ${HELO}`, `HELO ${HELO}`, ...NULL_SENDER, ...RELAY.slice(0, -1), 'QUIT']);
    assert.equal(p.connections[0]!.pipelined, false);
    assert.equal(e.ehlo?.code, 502);
    assert.deepEqual([e.helo_fallback, e.helo?.code, e.extensions], [true, 250, null]);
    assert.deepEqual([e.starttls.offered, e.starttls.attempted], [false, false]);
    assert.equal(e.pipelined, false);
    assert.deepEqual(outcomes(e), ['null_sender:accepted', 'postmaster:accepted', 'open_relay:accepted']);
    assert.deepEqual(
      e.transactions.map((t) => t.rset?.code ?? null),
      [250, 250, null],
      'the postmaster record carries the null-sender transaction it was answered by',
    );
    assert.equal(e.quit?.code, 221);
    assert.equal(e.error, null);
  });

  it('does not fall back to HELO on a temporary refusal of EHLO, and says QUIT', async () => {
    const p = await dialogue({ ehloReply: reply(421, '4.3.2 Try again later') });
    const { probe: e } = await probe(p);
    assert.deepEqual(commands(e), [`EHLO ${HELO}`, 'QUIT']);
    assert.deepEqual([e.ehlo?.code, e.helo, e.helo_fallback], [421, null, false]);
    assert.deepEqual(notes(e), Array(3).fill('not run: EHLO was answered 421'));
  });

  it('says QUIT after a 554 greeting and sends nothing else', async () => {
    const p = await dialogue({ greeting: reply(554, '5.3.2 No SMTP service here') });
    const { probe: e, phases } = await probe(p);
    assert.deepEqual(phases, ['connect', 'greeting']);
    assert.deepEqual(commands(e), ['QUIT']);
    assert.deepEqual(p.connections[0]!.commands, ['QUIT']);
    assert.equal(e.greeting?.code, 554);
    assert.equal(e.quit?.code, 221);
    assert.equal(e.ehlo, null);
    assert.equal(e.error, null);
    assert.deepEqual(outcomes(e), ['null_sender:skipped', 'postmaster:skipped', 'open_relay:skipped']);
    assert.deepEqual(notes(e), Array(3).fill('not run: the server greeted with 554'));
  });

  it('sends nothing after a 421 greeting: the server is going away', async () => {
    const p = await dialogue({ greeting: reply(421, '4.3.2 Too busy') });
    const { probe: e } = await probe(p);
    assert.deepEqual(commands(e), []);
    assert.deepEqual(p.connections[0]!.commands, []);
    assert.deepEqual([e.greeting?.code, e.quit], [421, null]);
    assert.deepEqual(notes(e), Array(3).fill('not run: the server greeted with 421'));
  });
});

describe('probeEndpoint() and the target policy', () => {
  it('records a refused address as policy.refused without dialling it', async () => {
    const p = await dialogue(HEALTHY);
    const reason = `not probed: ${HOST} is a loopback address`;
    const asked: string[] = [];
    const { probe: e, phases } = await probe(p, {
      targetPolicy: (address) => {
        asked.push(address);
        return reason;
      },
    });
    assert.deepEqual(asked, [HOST]);
    assert.equal(p.connections.length, 0, 'no connection reached the server');
    assert.deepEqual(phases, ['connect']);
    assert.deepEqual(e.error, { code: 'policy.refused', phase: 'connect', message: reason });
    assert.equal(e.connected, false);
    assert.deepEqual(
      e.transcript.map((l) => [l.dir, l.text]),
      [['*', reason]],
    );
    assert.deepEqual(notes(e), Array(3).fill(`not run: the dialogue stopped early (${reason})`));
    assert.equal(e.timings.connect_ms, null);
    assert.equal(e.bytes_received, 0);
  });

  it('dials an address the policy lets through', async () => {
    const { probe: e } = await probe(await dialogue(HEALTHY), { targetPolicy: () => null });
    assert.equal(e.connected, true);
    assert.equal(e.error, null);
  });
});

describe('probeEndpoint() and the time budget', () => {
  it('stops where the budget ran out, recording the phase and leaving the transactions not run', async () => {
    const p = await peer(async (conn) => {
      await conn.send(reply(220, `${MX} ESMTP`));
      await conn.readLine(); // EHLO, never answered
      await conn.waitClosed();
    });
    const started = Date.now();
    const { probe: e } = await probe(p, { options: options({ timeout: SHORT_TIMEOUT_S }) });
    const elapsed = Date.now() - started;
    const message = `the ${SHORT_TIMEOUT_S} s time budget ran out`;
    assert.deepEqual(e.error, { code: 'timeout', phase: 'ehlo', message });
    assert.deepEqual([e.greeting?.code, e.ehlo, e.quit], [220, null, null]);
    assert.deepEqual(commands(e), [`EHLO ${HELO}`], 'no QUIT into a dialogue already given up');
    assert.deepEqual(notes(e), Array(3).fill(`not run: the dialogue stopped early (${message})`));
    assert.ok(
      elapsed >= SHORT_TIMEOUT_S * 1000 - 50 && elapsed < SHORT_TIMEOUT_S * 1000 + BUDGET_MARGIN_MS,
      `took ${elapsed} ms`,
    );
    assert.ok(e.transcript.some((l) => l.dir === '*' && l.text === message));
  });

  it('marks the transaction the budget ran out in as broken, and the later ones as not run', async () => {
    const p = await peer(async (conn) => {
      await conn.send(reply(220, `${MX} ESMTP`));
      await conn.readLine();
      await conn.send(reply(250, MX, 'PIPELINING'));
      await conn.readLine(); // MAIL FROM:<>
      await conn.send(reply(250, '2.1.0 Ok'));
      await conn.waitClosed(); // RCPT TO and the rest of the flight: never answered
    });
    const { probe: e } = await probe(p, { options: options({ timeout: SHORT_TIMEOUT_S }) });
    assert.deepEqual(e.error, {
      code: 'timeout',
      phase: 'null_sender',
      message: `the ${SHORT_TIMEOUT_S} s time budget ran out`,
    });
    assert.deepEqual(outcomes(e), ['null_sender:error', 'postmaster:skipped', 'open_relay:skipped']);
    assert.equal(e.transactions[0]!.note, 'no answer to RCPT TO');
    assert.equal(e.transactions[0]!.mail?.code, 250);
    assert.match(e.transactions[1]!.note ?? '', /^not run: the dialogue stopped early/);
    assert.equal(e.pipelined, true, 'the flight was sent');
    assert.equal(e.quit, null);
  });
});

describe('probeEndpoint() and a pipelined group the server holds back', () => {
  it('records the commands still waiting for replies when the budget ran out', async () => {
    const p = await dialogue({
      extensions: ['PIPELINING'],
      rcptTo: (address) => (address === OUTSIDE ? reply(554, '5.7.1 Relay access denied') : reply(250, '2.1.5 Ok')),
      // An error sleep on the relay probe, longer than the budget (Postfix smtpd_error_sleep_time).
      replyDelayMs: (line) => (line === `RCPT TO:<${OUTSIDE}>` ? 5000 : 0),
    });
    const { probe: e } = await probe(p, { options: options({ timeout: 1 }) });
    assert.equal(e.error?.code, 'timeout');
    assert.deepEqual(e.outstanding, [`RCPT TO:<${OUTSIDE}>`, 'RSET', 'QUIT']);
    // The null sender's answers came in their own flight, before the one held back.
    assert.deepEqual(outcomes(e), ['null_sender:accepted', 'postmaster:accepted', 'open_relay:error']);
  });
});

describe('probeEndpoint() after a failed TLS handshake', () => {
  const RELAY_DENIED: Partial<DialoguePolicy> = {
    rcptTo: (address) => (address === OUTSIDE ? reply(554, '5.7.1 Relay access denied') : reply(250, '2.1.5 Ok')),
  };
  /** First connection: STARTTLS answered 220, then garbage instead of TLS; second connection: a plain healthy server. */
  const brokenTlsThenPlain = () =>
    peer(async (conn) => {
      if (p.connections.length > 1) {
        return runDialogue(conn, { hostname: MX, extensions: ['PIPELINING', 'STARTTLS'], ...RELAY_DENIED });
      }
      await conn.send(reply(220, `${MX} ESMTP`));
      await conn.readLine(); // EHLO
      await conn.send(reply(250, MX, 'PIPELINING', 'STARTTLS'));
      for (let i = 0; i < 4; i++) await conn.readLine(); // MAIL, RCPT, RSET, STARTTLS
      await conn.send(reply(250, '2.1.0 Ok') + reply(250, '2.1.5 Ok') + reply(250, '2.0.0 Ok'));
      await conn.send(reply(220, '2.0.0 Ready to start TLS'));
      await conn.sleep(50); // the client's ClientHello arrives; the answer is not TLS
      await conn.send('this is not a TLS record\r\n');
    });
  let p: ScriptedServer;

  it('reconnects without STARTTLS, as senders do, and runs the transactions still to run there', async () => {
    p = await brokenTlsThenPlain();
    const { probe: e } = await probe(p);
    assert.equal(p.connections.length, 2, 'a second connection, one after the other');
    assert.equal(e.starttls.ok, false);
    assert.equal(e.starttls.error?.code, 'tls.handshake');
    assert.equal(e.plaintext_fallback?.connected, true);
    assert.equal(e.plaintext_fallback?.greeting?.code, 220);
    assert.equal(e.plaintext_fallback?.error, null);
    assert.deepEqual(p.connections[1]!.commands, [`EHLO ${HELO}`, ...RELAY, 'QUIT'], 'no STARTTLS the second time');
    assert.deepEqual(outcomes(e), ['null_sender:accepted', 'postmaster:accepted', 'open_relay:rejected']);
    assert.deepEqual(
      e.transactions.map((t) => t.tls),
      [false, false, false],
    );
    assert.ok(e.transcript.some((l) => l.dir === '*' && /reconnecting without STARTTLS/.test(l.text)));
  });
});

describe('probeEndpoint() closes like a good client', () => {
  const cases: [string, Partial<DialoguePolicy>][] = [
    ['in plaintext', { extensions: ['PIPELINING'] }],
    ['over TLS, pipelined', { extensions: ['PIPELINING', 'STARTTLS'], tls: leafCertificate(MX) }],
    ['over TLS, without PIPELINING', { extensions: ['STARTTLS'], tls: leafCertificate(MX) }],
  ];
  for (const [name, policy] of cases) {
    it(`never leaves the server a reset after QUIT (${name})`, async () => {
      // The server keeps its side open a moment after its 221, then sends a few bytes (as a TLS server's
      // close_notify is): a client that dropped the connection at once answers them with a reset.
      const p = await dialogue({ ...HEALTHY, ...policy, lingerAfterQuitMs: 50, afterQuit: 'bye\r\n' }, true);
      const { probe: e } = await probe(p);
      // Let the server finish its side before closing it: what it sends last is where a reset would show.
      for (const started = Date.now(); p.connections[0]!.closedAt === undefined && Date.now() - started < 3000;) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await p.close();
      assert.equal(e.quit?.code, 221);
      assert.equal(p.connections[0]!.clientReset, false, 'the server saw no ECONNRESET');
      assert.equal(p.connections[0]!.error, undefined);
    });
  }
});

describe('probeEndpoint() and what the server says as it goes', () => {
  it('keeps a last reply line sent without CRLF before the server closed', async () => {
    const p = await peer(async (conn) => {
      await conn.send('421 4.3.2 Service shutting down, try later');
      await conn.end();
    });
    const { probe: e } = await probe(p);
    assert.deepEqual(e.greeting?.lines, ['421 4.3.2 Service shutting down, try later']);
    assert.deepEqual(commands(e), [], 'nothing sent after a 421');
  });

  it('never reads plaintext that follows the STARTTLS 220 in a later segment as a reply', async () => {
    const p = await peer(async (conn) => {
      await conn.send(reply(220, `${MX} ESMTP`));
      await conn.readLine();
      await conn.send(reply(250, MX, 'STARTTLS'));
      await conn.readLine(); // MAIL
      await conn.send(reply(250, '2.1.0 Ok'));
      await conn.readLine(); // RCPT
      await conn.send(reply(250, '2.1.5 Ok'));
      await conn.readLine(); // RSET
      await conn.send(reply(250, '2.0.0 Ok'));
      await conn.readLine(); // STARTTLS
      await conn.send(reply(220, '2.0.0 Ready to start TLS'));
      await conn.sleep(20);
      await conn.send(reply(250, 'injected after the 220'));
      await conn.upgradeTls(leafCertificate(MX));
      await conn.waitClosed();
    });
    const { probe: e } = await probe(p, { options: options({ timeout: 2 }) });
    assert.ok(!e.transcript.some((l) => l.dir === 'S' && /injected/.test(l.text)), 'the injection is never a reply');
    assert.notEqual(e.ehlo_tls?.lines[0], '250 injected after the 220');
  });
});
