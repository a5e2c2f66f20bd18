/**
 * The endpoint probe: what an operator does with swaks, as linear steps on
 * one connection. Greeting, EHLO (HELO fallback); the first transaction in
 * plaintext, in the same flight as STARTTLS (RFC 3207 §4.2 lets STARTTLS end
 * a pipelined group), which also tells whether the server refuses mail in
 * plaintext; the TLS handshake and EHLO again; the other transactions, all
 * stopped at RCPT and reset; QUIT (which resets the last one when not
 * pipelined), then a graceful close. When the handshake fails, a second
 * connection without STARTTLS runs the transactions, as senders fall back.
 * Reverse DNS runs alongside. The whole thing is bounded by one time budget
 * per connection; whatever the server does is recorded, never thrown.
 */
import type {
  EndpointProbe,
  Phase,
  ProbeError,
  Reply,
  ReverseDns,
  StartTlsResult,
  Transaction,
  TransactionKind,
} from '../../model/observation.js';
import { classifyRefusal } from '../../model/refusal.js';
import type { CheckOptions } from '../../config/options.js';
import type { DnsClient } from '../dns/dns-client.js';
import { lookupReverseDns, reverseDnsTimedOut } from '../dns/reverse-dns.js';
import { ProbeAbort, SmtpConnection, formatHostPort } from './connection.js';
import { Transcript } from './transcript.js';
import type { TargetPolicy } from '../target-policy.js';
import type { SourceAddresses } from '../../config/source-address.js';
import { ehlo, helo, mailFrom, quit, rcptTo, rset, starttls } from './commands.js';
import { hasExtension, parseExtensions } from './extensions.js';
import {
  planTransactions,
  postmasterAnswered,
  settleTransaction,
  skippedTransaction,
  type PlannedTransaction,
} from './transactions.js';
import { splitTranscript } from './split-transcript.js';
import { sessionKey, type TlsSessions } from '../tls/tls-sessions.js';

export interface EndpointTarget {
  address: string;
  family: 4 | 6;
  port: number;
  /** MX names leading to this address, best preference first. */
  mx: string[];
  preference: number;
}

/**
 * One domain whose transactions a shared session runs (collectMany): its
 * options (domain, probes switched on or off), and the MX names and
 * preference that lead it to this address.
 */
export interface SessionMember {
  options: CheckOptions;
  mx: string[];
  preference: number;
}

export interface ProbeContext {
  options: CheckOptions;
  dns: DnsClient;
  /** PEM roots the chain verdict is reached against. */
  trustStore: string[];
  /** Called as the dialogue moves on (for live progress). */
  onPhase?: (phase: Phase) => void;
  /** Asked before dialling: a reason refuses the address (hosted deployments), null lets it through. */
  targetPolicy?: TargetPolicy;
  /** Asked first: a reason skips the endpoint by the user's choice (-4, -6), recorded as `skipped`; null dials it. */
  skip?: (target: EndpointTarget) => string | null;
  /** The collection's cancel or deadline: cuts the dialogue as the budget running out does. */
  signal?: AbortSignal;
  /**
   * False for an endpoint recorded without being probed at all (over the
   * endpoint cap): no PTR question is asked, so a zone with thousands of
   * addresses cannot make one check send thousands of DNS questions either.
   */
  reverseDns?: boolean;
  /** This machine's address per family to leave from (`--source-address`). */
  sourceAddress?: SourceAddresses | undefined;
  /** A bulk run's TLS sessions: resume the session of an MX the run already spoke to (absent: never resume). */
  tlsSessions?: TlsSessions | undefined;
}

/** The reverse DNS record of an endpoint whose PTR was not asked. */
const NOT_LOOKED_UP: ReverseDns = { ptr: [], ptr_error: null, forward: [], fcrdns: false };

const is2xx = (r: Reply | null) => r !== null && r.code >= 200 && r.code < 300;

/** Mutable record the steps fill in; frozen into an EndpointProbe at the end. */
type Findings = Pick<
  EndpointProbe,
  | 'timings'
  | 'connected'
  | 'greeting'
  | 'ehlo'
  | 'helo_fallback'
  | 'helo'
  | 'extensions'
  | 'starttls'
  | 'ehlo_tls'
  | 'extensions_tls'
  | 'pipelined'
  | 'quit'
  | 'outstanding'
  | 'plaintext_fallback'
>;

/** A member's part of the session: its planned and settled transactions, and the transcript lines it sent. */
interface MemberState {
  planned: PlannedTransaction[];
  transactions: Map<TransactionKind, Transaction>;
  /** Transcript indices of the command lines this member sent. */
  commandLines: number[];
}

/** One transaction to send, on behalf of one member. */
interface Job {
  m: MemberState;
  p: PlannedTransaction;
}

/** What one connection's dialogue needs besides the connection itself. */
interface Session {
  conn: SmtpConnection;
  f: Findings;
  members: MemberState[];
  transcript: Transcript;
  step: (phase: Phase) => void;
  /** MAIL transactions sent on this connection so far. */
  mails: number;
  /** Inside TLS now. */
  tls: boolean;
}

/** Probe one endpoint for `ctx.options.domain`: one connection, one EndpointProbe. */
export async function probeEndpoint(target: EndpointTarget, ctx: ProbeContext): Promise<EndpointProbe> {
  const [probe] = await probeSession(target, ctx, [
    { options: ctx.options, mx: target.mx, preference: target.preference },
  ]);
  return probe!;
}

function emptyStartTls(): StartTlsResult {
  return {
    offered: false,
    attempted: false,
    reply: null,
    ok: false,
    discarded_bytes: 0,
    tls: null,
    error: null,
    plaintext_refused: null,
  };
}

/**
 * One connection to `target` carrying the transactions of several domains
 * (greeting, EHLO, STARTTLS and EHLO once; then each member's transactions,
 * in order; QUIT once). Answers one EndpointProbe per member: the shared
 * connection facts, the member's own transactions, and the transcript lines
 * that are shared or its own. `ctx.options` gives the session's HELO name and
 * time budget; each member's options give its transactions.
 */
export async function probeSession(
  target: EndpointTarget,
  ctx: ProbeContext,
  members: SessionMember[],
): Promise<EndpointProbe[]> {
  const { probes, resumeFailed } = await probeSessionOnce(target, ctx, members);
  if (resumeFailed === null) return probes;
  // The server may mishandle resumption only: the checker's doing, so never the verdict. Again, in full.
  ctx.tlsSessions!.forget(resumeFailed.key);
  const again = await probeSessionOnce(target, { ...ctx, tlsSessions: undefined }, members, {
    note: `a first connection offered to resume an earlier TLS session and its handshake failed (${resumeFailed.message}); this connection makes a full handshake`,
  });
  return again.probes;
}

async function probeSessionOnce(
  target: EndpointTarget,
  ctx: ProbeContext,
  members: SessionMember[],
  opts: { note?: string } = {},
): Promise<{ probes: EndpointProbe[]; resumeFailed: { key: string; message: string } | null }> {
  const startedAt = new Date();
  const transcript = new Transcript();
  if (opts.note) transcript.event(opts.note);
  const timeBudget = AbortSignal.timeout(ctx.options.timeout * 1000);
  const budget = ctx.signal ? AbortSignal.any([timeBudget, ctx.signal]) : timeBudget;
  const f: Findings = {
    timings: { connect_ms: null, greeting_ms: null, ehlo_ms: null, tls_ms: null, total_ms: 0 },
    connected: false,
    greeting: null,
    ehlo: null,
    helo_fallback: false,
    helo: null,
    extensions: null,
    starttls: emptyStartTls(),
    ehlo_tls: null,
    extensions_tls: null,
    pipelined: false,
    quit: null,
    outstanding: [],
    plaintext_fallback: null,
  };

  const reverse =
    ctx.reverseDns === false
      ? Promise.resolve(NOT_LOOKED_UP)
      : withinBudget(lookupReverseDns(ctx.dns, target.address, target.family), budget, () =>
          reverseDnsTimedOut(target.address),
        );
  const states: MemberState[] = members.map((m) => ({
    planned: planTransactions(m.options),
    transactions: new Map(),
    commandLines: [],
  }));
  for (const m of states)
    for (const p of m.planned) if (!p.run) m.transactions.set(p.kind, skippedTransaction(p, p.skipNote));

  let error: ProbeError | null = null;
  let bytes = 0;
  const skipped = ctx.skip?.(target) ?? null;
  const refused = skipped === null ? (ctx.targetPolicy?.(target.address) ?? null) : null;
  ctx.onPhase?.('connect');
  if (skipped !== null) {
    transcript.event(skipped);
    error = { code: 'skipped', phase: 'connect', message: skipped };
  } else if (refused !== null) {
    transcript.event(refused);
    error = { code: 'policy.refused', phase: 'connect', message: refused };
  } else {
    const first = await onConnection(target, ctx, budget, transcript, async (conn) => {
      f.connected = true;
      f.timings.connect_ms = transcript.elapsed();
      await dialogue(conn, target, ctx, f, states, transcript, budget);
    });
    error = first.error;
    bytes += first.bytes;
    if (error?.code === 'tls.handshake' && first.resumeOffered && ctx.tlsSessions) {
      const key = sessionKey(target.address, target.port, target.mx[0] ?? null, ctx.trustStore);
      return { probes: [], resumeFailed: { key, message: error.message } };
    }
    if (error?.code === 'tls.handshake' && pending(states).length > 0) {
      // Senders fall back to plaintext after a failed handshake (Postfix smtp_tls_security_level = may,
      // Exim tls_tempfail_tryclear): so does the checker, to learn whether mail still flows, and how.
      bytes += await plaintextFallback(target, ctx, f, states, transcript);
    }
  }

  for (const m of states) {
    for (const p of m.planned) {
      if (!m.transactions.has(p.kind)) {
        m.transactions.set(p.kind, skippedTransaction(p, `not run: ${whyNotRun(f, error)}`));
      }
    }
  }
  const reverseDns = await reverse;
  f.timings.total_ms = transcript.elapsed();
  const transcripts = splitTranscript(
    transcript.lines,
    states.map((m) => m.commandLines),
  );
  const probes = states.map((m, i) => ({
    mx: members[i]!.mx,
    preference: members[i]!.preference,
    address: target.address,
    family: target.family,
    port: target.port,
    subject: formatHostPort(target),
    started_at: startedAt.toISOString(),
    timings: f.timings,
    connected: f.connected,
    greeting: f.greeting,
    greeting_host: greetingHost(f.greeting),
    ehlo: f.ehlo,
    helo_fallback: f.helo_fallback,
    helo: f.helo,
    extensions: f.extensions,
    starttls: f.starttls,
    ehlo_tls: f.ehlo_tls,
    extensions_tls: f.extensions_tls,
    pipelined: f.pipelined,
    transactions: m.planned.map((p) => m.transactions.get(p.kind)!),
    quit: f.quit,
    // In a shared session, a member whose transactions all got their answers is not blamed for a later break.
    error: members.length > 1 && settled(m) ? null : error,
    outstanding: f.outstanding,
    plaintext_fallback: f.plaintext_fallback,
    reverse_dns: reverseDns,
    transcript: transcripts[i]!,
    transcript_truncated: transcript.truncated,
    bytes_received: bytes,
    retry: null,
  }));
  return { probes, resumeFailed: null };
}

/**
 * Open a connection, run `body` on it, close it (gracefully after a 221):
 * the error that stopped the dialogue, if any, and the bytes received.
 */
async function onConnection(
  target: EndpointTarget,
  ctx: ProbeContext,
  budget: AbortSignal,
  transcript: Transcript,
  body: (conn: SmtpConnection) => Promise<void>,
): Promise<{ error: ProbeError | null; bytes: number; quit: boolean; resumeOffered: boolean }> {
  let conn: SmtpConnection | null = null;
  let error: ProbeError | null = null;
  let quitAnswered = false;
  const onBudgetOut = () => conn?.fail('timeout', `the ${ctx.options.timeout} s time budget ran out`);
  try {
    conn = await SmtpConnection.open(
      { ...target, localAddress: ctx.sourceAddress?.[target.family] },
      transcript,
      budget,
    );
    budget.addEventListener('abort', onBudgetOut, { once: true });
    await body(conn);
    quitAnswered = conn.quitAnswered;
  } catch (err) {
    if (!(err instanceof ProbeAbort)) throw err;
    error = err.error;
  } finally {
    budget.removeEventListener('abort', onBudgetOut);
    await conn?.close(quitAnswered);
  }
  return { error, bytes: conn?.bytesReceived ?? 0, quit: quitAnswered, resumeOffered: conn?.resumeOffered ?? false };
}

/** Transactions not settled yet, across members, in order. */
function pending(members: MemberState[]): Job[] {
  return members.flatMap((m) => m.planned.filter((p) => p.run && !m.transactions.has(p.kind)).map((p) => ({ m, p })));
}

/**
 * Settle the postmaster probe from the null-sender transaction where that
 * one answered it (accepted at RCPT TO:<postmaster@domain>): one MAIL
 * transaction fewer against per-client message limits.
 */
function settleAnswered(members: MemberState[]): void {
  for (const m of members) {
    const p = m.planned.find((x) => x.kind === 'postmaster');
    if (!p?.run || m.transactions.has('postmaster')) continue;
    const answered = postmasterAnswered(m.transactions.get('null_sender'), p);
    if (answered) m.transactions.set('postmaster', answered);
  }
}

/** The first transaction of each member: what runs in plaintext before STARTTLS. */
function firstJobs(members: MemberState[]): Job[] {
  return members.flatMap((m) => {
    const p = m.planned.find((x) => x.run && !m.transactions.has(x.kind));
    return p ? [{ m, p }] : [];
  });
}

async function dialogue(
  conn: SmtpConnection,
  target: EndpointTarget,
  ctx: ProbeContext,
  f: Findings,
  members: MemberState[],
  transcript: Transcript,
  budget: AbortSignal,
): Promise<void> {
  const step = (phase: Phase) => {
    conn.phase = phase;
    ctx.onPhase?.(phase);
  };
  const s: Session = { conn, f, members, transcript, step, mails: 0, tls: false };

  if (!(await greetAndHello(s, ctx, true))) return;

  // STARTTLS when offered; the first transactions go in plaintext in the same flight, never after it.
  let extensions = f.extensions;
  f.starttls.offered = hasExtension(f.extensions, 'STARTTLS');
  if (f.starttls.offered) {
    const first = firstJobs(members);
    const pipelining = hasExtension(f.extensions, 'PIPELINING');
    let answer: Reply;
    if (pipelining) {
      f.pipelined = first.length > 0;
      answer = (await runGroup(s, first, { end: 'starttls' }))!;
    } else {
      await runLockStep(s, first, { last: false });
      step('starttls');
      conn.send(starttls());
      answer = await conn.readStartTlsReply();
    }
    f.starttls.attempted = true;
    f.starttls.reply = answer;
    noteTlsRequired(f, first);
    if (answer.code === 220) {
      step('tls');
      const tlsStart = transcript.elapsed();
      try {
        const servername = target.mx[0] ?? null;
        const resume = ctx.tlsSessions && {
          sessions: ctx.tlsSessions,
          key: sessionKey(target.address, target.port, servername, ctx.trustStore),
        };
        const { tls, discarded } = await conn.startTls(servername, ctx.trustStore, budget, resume);
        f.starttls.ok = true;
        f.starttls.tls = tls;
        f.starttls.discarded_bytes = discarded;
        s.tls = true;
      } catch (err) {
        if (err instanceof ProbeAbort) f.starttls.error = err.error;
        throw err;
      } finally {
        f.timings.tls_ms = transcript.elapsed() - tlsStart;
      }
      // RFC 3207 §4.2: forget everything learnt before TLS and say EHLO again.
      step('ehlo_tls');
      conn.send(ehlo(ctx.options.helo_name));
      f.ehlo_tls = await conn.read();
      if (!is2xx(f.ehlo_tls)) return sayQuit(conn, f);
      f.extensions_tls = parseExtensions(f.ehlo_tls);
      extensions = f.extensions_tls;
    } else {
      conn.resumePlaintext();
    }
  }

  await runRest(s, hasExtension(extensions, 'PIPELINING'));
}

/**
 * Greeting then EHLO (HELO when EHLO is refused outright). False when the
 * dialogue cannot go on (it has said QUIT where that is polite). `first`:
 * the endpoint's own findings are filled in; otherwise (the plaintext
 * fallback) only the fallback record is.
 */
async function greetAndHello(s: Session, ctx: ProbeContext, first: boolean): Promise<boolean> {
  const { conn, f, transcript, step } = s;
  // Greeting: nothing is sent before the whole (possibly multi-line) 220 is in.
  step('greeting');
  const greeting = await conn.read();
  if (first) {
    f.greeting = greeting;
    f.timings.greeting_ms = transcript.elapsed() - (f.timings.connect_ms ?? 0);
  } else if (f.plaintext_fallback) f.plaintext_fallback.greeting = greeting;
  if (greeting.code !== 220) {
    // RFC 5321 §3.1: after a 554 greeting the client should QUIT; after a 4xx the server is going away.
    if (greeting.code >= 500) await sayQuit(conn, f);
    return false;
  }

  step('ehlo');
  const ehloStart = transcript.elapsed();
  conn.send(ehlo(ctx.options.helo_name));
  const hello = await conn.read();
  if (first) {
    f.ehlo = hello;
    f.timings.ehlo_ms = transcript.elapsed() - ehloStart;
  } else if (f.plaintext_fallback) f.plaintext_fallback.hello = hello;
  if (is2xx(hello)) {
    if (first) f.extensions = parseExtensions(hello);
    return true;
  }
  if (hello.code < 500) {
    await sayQuit(conn, f);
    return false;
  }
  step('helo');
  conn.send(helo(ctx.options.helo_name));
  const heloReply = await conn.read();
  if (first) f.helo = heloReply;
  else if (f.plaintext_fallback) f.plaintext_fallback.hello = heloReply;
  if (!is2xx(heloReply)) {
    await sayQuit(conn, f);
    return false;
  }
  if (first) f.helo_fallback = true;
  return true;
}

/**
 * A plaintext transaction refused until STARTTLS (RFC 3207 §4 forbids this
 * on a publicly referenced server): record the evidence and forget the
 * refusal, so the transaction runs again inside TLS and is judged there.
 */
function noteTlsRequired(f: Findings, jobs: Job[]): void {
  for (const { m, p } of jobs) {
    const t = m.transactions.get(p.kind);
    const decided = t?.decided_at === 'mail' ? t.mail : t?.decided_at === 'rcpt' ? t.rcpt : null;
    if (!t || !decided || (t.outcome !== 'rejected' && t.outcome !== 'tempfail')) continue;
    if (classifyRefusal(decided).target !== 'tls_required') continue;
    f.starttls.plaintext_refused ??= { command: t.decided_at === 'mail' ? 'mail' : 'rcpt', reply: decided };
    m.transactions.delete(p.kind);
  }
}

/**
 * The transactions still to run, then QUIT. Pipelined: the null-sender
 * transactions first when they are still to run and a postmaster probe
 * hangs on their answer, then everything else with QUIT in one flight.
 * Lock-step otherwise, the last transaction ended by QUIT.
 */
async function runRest(s: Session, pipelining: boolean): Promise<void> {
  settleAnswered(s.members);
  if (pipelining) {
    const waitFor = pending(s.members).filter(
      ({ m, p }) =>
        p.kind === 'null_sender' &&
        m.planned.some((x) => x.kind === 'postmaster' && x.run && !m.transactions.has(x.kind)),
    );
    if (waitFor.length > 0) {
      s.f.pipelined = true;
      await runGroup(s, waitFor, { end: 'none' });
      settleAnswered(s.members);
    }
    const rest = pending(s.members);
    if (rest.length > 0) {
      s.f.pipelined = true;
      await runGroup(s, rest, { end: 'quit' });
      return;
    }
    return sayQuit(s.conn, s.f);
  }
  // Lock-step: one transaction at a time, so the postmaster probe is sent only when still unanswered.
  for (;;) {
    settleAnswered(s.members);
    const next = pending(s.members)[0];
    if (!next) break;
    const last = pending(s.members).length === 1;
    await runLockStep(s, [next], { last });
    if (last) break;
  }
  await sayQuit(s.conn, s.f);
}

/**
 * One pipelined flight (RFC 2920): MAIL, RCPT and RSET of each job, then
 * STARTTLS or QUIT or nothing, in one write; replies read in order. When the
 * budget runs out inside it, the commands whose replies had not come are
 * recorded (a server that holds back a group after an error, Postfix's
 * smtpd_error_sleep_time). Answers the reply to the closing STARTTLS.
 */
async function runGroup(s: Session, jobs: Job[], opts: { end: 'starttls' | 'quit' | 'none' }): Promise<Reply | null> {
  const { conn, f, step } = s;
  const closing = opts.end === 'starttls' ? [starttls()] : opts.end === 'quit' ? [quit()] : [];
  const commands = jobs.map(({ p }) => [mailFrom(p.mailFrom), rcptTo(p.rcptTo), rset()]);
  const outstanding = [...commands.flat(), ...closing];
  // Nothing after the 220 to STARTTLS may be parsed as plaintext: stop right after it.
  if (opts.end === 'starttls') conn.holdAfter(outstanding.length);
  if (jobs.length > 0) step(jobs[0]!.p.kind);
  // One write when there is one member; one write per member otherwise, back to back: still one flight.
  const byMember = new Map<MemberState, string[]>();
  jobs.forEach(({ m }, i) => byMember.set(m, [...(byMember.get(m) ?? []), ...commands[i]!]));
  const entries = [...byMember.entries()];
  if (entries.length === 1) sendFor(s, entries[0]![0], entries[0]![1], ...closing);
  else {
    for (const [m, own] of entries) sendFor(s, m, own);
    if (closing.length > 0) sendFor(s, null, [], ...closing);
  }
  const read = async (): Promise<Reply> => {
    try {
      const r = await conn.read();
      outstanding.shift();
      return r;
    } catch (err) {
      if (err instanceof ProbeAbort && err.error.code === 'timeout') f.outstanding = [...outstanding];
      throw err;
    }
  };
  for (const { m, p } of jobs) {
    step(p.kind);
    const replies: Reply[] = [];
    const sequence = ++s.mails;
    try {
      for (let i = 0; i < 3; i++) replies.push(await read());
    } finally {
      m.transactions.set(
        p.kind,
        settleTransaction(p, replies[0] ?? null, replies[1] ?? null, replies[2] ?? null, { tls: s.tls, sequence }),
      );
    }
  }
  if (opts.end === 'starttls') {
    step('starttls');
    return read();
  }
  if (opts.end === 'quit') {
    step('quit');
    f.quit = await read().catch((err: unknown) => {
      if (err instanceof ProbeAbort) return null;
      throw err;
    });
    if (f.quit?.code === 221) conn.quitAnswered = true;
    return f.quit;
  }
  return null;
}

/**
 * Transactions one command at a time. `last`: the last transaction of the
 * session is ended by QUIT instead of RSET then QUIT (RFC 5321 §4.1.1.10:
 * QUIT aborts an open transaction), one round trip less.
 */
async function runLockStep(s: Session, jobs: Job[], opts: { last: boolean }): Promise<void> {
  const { conn, step } = s;
  for (const [i, { m, p }] of jobs.entries()) {
    step(p.kind);
    let mail: Reply | null = null;
    let rcpt: Reply | null = null;
    let reset: Reply | null = null;
    const sequence = ++s.mails;
    const endsWithQuit = opts.last && i === jobs.length - 1;
    try {
      sendFor(s, m, [mailFrom(p.mailFrom)]);
      mail = await conn.read();
      if (is2xx(mail)) {
        sendFor(s, m, [rcptTo(p.rcptTo)]);
        rcpt = await conn.read();
      }
      if (!endsWithQuit) {
        sendFor(s, m, [rset()]);
        reset = await conn.read();
      }
    } finally {
      m.transactions.set(p.kind, settleTransaction(p, mail, rcpt, reset, { tls: s.tls, sequence }));
    }
  }
}

/** Send `own` on behalf of `m` (then `shared` commands such as QUIT in the same write), remembering which transcript lines are its. */
function sendFor(s: Session, m: MemberState | null, own: string[], ...shared: string[]): void {
  const first = s.transcript.lines.length;
  s.conn.send(...own, ...shared);
  if (m) for (let i = first; i < s.transcript.lines.length && i < first + own.length; i++) m.commandLines.push(i);
}

/**
 * After a failed TLS handshake: a second connection without STARTTLS, with
 * its own time budget, carrying the transactions still to run. Answers the
 * bytes it received; its facts go to `f.plaintext_fallback`.
 */
async function plaintextFallback(
  target: EndpointTarget,
  ctx: ProbeContext,
  f: Findings,
  members: MemberState[],
  transcript: Transcript,
): Promise<number> {
  transcript.event('reconnecting without STARTTLS, as senders do after a failed handshake');
  f.plaintext_fallback = { connected: false, greeting: null, hello: null, error: null };
  const fallback = f.plaintext_fallback;
  const budget = AbortSignal.timeout(ctx.options.timeout * 1000);
  const result = await onConnection(target, ctx, budget, transcript, async (conn) => {
    fallback.connected = true;
    const step = (phase: Phase) => {
      conn.phase = phase;
      ctx.onPhase?.(phase);
    };
    const s: Session = { conn, f, members, transcript, step, mails: 0, tls: false };
    if (!(await greetAndHello(s, ctx, false))) return;
    const extensions = fallback.hello && fallback.hello.lines.length > 0 ? parseExtensions(fallback.hello) : null;
    await runRest(s, hasExtension(extensions, 'PIPELINING'));
  });
  fallback.error = result.error;
  return result.bytes;
}

/** Every transaction the member ran got its answers. */
function settled(m: MemberState): boolean {
  return m.planned.every(
    (p) => !p.run || ['accepted', 'rejected', 'tempfail'].includes(m.transactions.get(p.kind)?.outcome ?? ''),
  );
}

/** Why the dialogue never reached the transactions, in words. */
function whyNotRun(f: Findings, error: ProbeError | null): string {
  const fb = f.plaintext_fallback;
  if (fb?.error) return `the dialogue stopped early, also on the plaintext connection (${fb.error.message})`;
  if (error) return `the dialogue stopped early (${error.message})`;
  if (f.greeting && f.greeting.code !== 220) return `the server greeted with ${f.greeting.code}`;
  if (f.ehlo_tls && !is2xx(f.ehlo_tls)) return `EHLO after STARTTLS was answered ${f.ehlo_tls.code}`;
  if (f.ehlo && !is2xx(f.ehlo)) return `EHLO was answered ${f.ehlo.code}${f.helo ? ` and HELO ${f.helo.code}` : ''}`;
  return 'the dialogue ended before the transactions';
}

/** QUIT is a courtesy: a server that hangs up instead has not done anything wrong. */
async function sayQuit(conn: SmtpConnection, f: Findings): Promise<void> {
  conn.phase = 'quit';
  try {
    conn.send(quit());
    f.quit = await conn.read();
    if (f.quit.code === 221) conn.quitAnswered = true;
  } catch (err) {
    if (!(err instanceof ProbeAbort)) throw err;
  }
}

/** The host name a greeting announces: the first word after the code. */
function greetingHost(greeting: Reply | null): string | null {
  const first = greeting?.lines[0];
  if (!first) return null;
  const word = first.slice(4).trim().split(/\s+/)[0];
  return word && /^[A-Za-z0-9.\-[\]:]+$/.test(word) ? word.toLowerCase() : null;
}

/** Resolve to `p`, or to `fallback()` if the budget runs out first. */
function withinBudget<T>(p: Promise<T>, budget: AbortSignal, fallback: () => T): Promise<T> {
  if (budget.aborted) return Promise.resolve(fallback());
  return new Promise((resolve) => {
    const onAbort = () => resolve(fallback());
    budget.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        budget.removeEventListener('abort', onAbort);
        resolve(v);
      },
      () => {
        budget.removeEventListener('abort', onAbort);
        resolve(fallback());
      },
    );
  });
}
