/**
 * The endpoint probe: what an operator does with swaks, as linear steps on
 * one connection. Greeting, EHLO (HELO fallback), STARTTLS, EHLO again, the
 * three transactions stopped at RCPT and reset, QUIT (which resets the last
 * one when not pipelined). Reverse DNS runs alongside. The whole thing is
 * bounded by one time budget; whatever the server does is recorded, never
 * thrown.
 */
import type { EndpointProbe, Phase, ProbeError, Reply, Transaction, TransactionKind } from '../../model/observation.js';
import type { CheckOptions } from '../../config/options.js';
import type { DnsClient } from '../dns/dns-client.js';
import { lookupReverseDns, reverseDnsTimedOut } from '../dns/reverse-dns.js';
import { ProbeAbort, SmtpConnection, formatHostPort } from './connection.js';
import { Transcript } from './transcript.js';
import type { TargetPolicy } from '../target-policy.js';
import { ehlo, helo, mailFrom, quit, rcptTo, rset, starttls } from './commands.js';
import { hasExtension, parseExtensions } from './extensions.js';
import { planTransactions, settleTransaction, skippedTransaction, type PlannedTransaction } from './transactions.js';
import { splitTranscript } from './split-transcript.js';

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
  /** The collection's cancel or deadline: cuts the dialogue as the budget running out does. */
  signal?: AbortSignal;
}

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
>;

/** A member's part of the session: its planned and settled transactions, and the transcript lines it sent. */
interface MemberState {
  planned: PlannedTransaction[];
  transactions: Map<TransactionKind, Transaction>;
  /** Transcript indices of the command lines this member sent. */
  commandLines: number[];
}

/** Probe one endpoint for `ctx.options.domain`: one connection, one EndpointProbe. */
export async function probeEndpoint(target: EndpointTarget, ctx: ProbeContext): Promise<EndpointProbe> {
  const [probe] = await probeSession(target, ctx, [
    { options: ctx.options, mx: target.mx, preference: target.preference },
  ]);
  return probe!;
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
  const startedAt = new Date();
  const transcript = new Transcript();
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
    starttls: { offered: false, attempted: false, reply: null, ok: false, discarded_bytes: 0, tls: null, error: null },
    ehlo_tls: null,
    extensions_tls: null,
    pipelined: false,
    quit: null,
  };

  const reverse = withinBudget(lookupReverseDns(ctx.dns, target.address, target.family), budget, () =>
    reverseDnsTimedOut(target.address),
  );
  const states: MemberState[] = members.map((m) => ({
    planned: planTransactions(m.options),
    transactions: new Map(),
    commandLines: [],
  }));
  let conn: SmtpConnection | null = null;
  let error: ProbeError | null = null;
  let bytes = 0;

  const onBudgetOut = () => conn?.fail('timeout', `the ${ctx.options.timeout} s time budget ran out`);
  try {
    ctx.onPhase?.('connect');
    const refused = ctx.targetPolicy?.(target.address) ?? null;
    if (refused !== null) {
      transcript.event(refused);
      throw new ProbeAbort({ code: 'policy.refused', phase: 'connect', message: refused });
    }
    conn = await SmtpConnection.open(target, transcript, budget);
    budget.addEventListener('abort', onBudgetOut, { once: true });
    f.connected = true;
    f.timings.connect_ms = transcript.elapsed();
    await dialogue(conn, target, ctx, f, states, transcript, budget);
  } catch (err) {
    if (!(err instanceof ProbeAbort)) throw err;
    error = err.error;
  } finally {
    budget.removeEventListener('abort', onBudgetOut);
    bytes = conn?.bytesReceived ?? 0;
    await conn?.close();
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
  return states.map((m, i) => ({
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
    reverse_dns: reverseDns,
    transcript: transcripts[i]!,
    transcript_truncated: transcript.truncated,
    bytes_received: bytes,
    retry: null,
  }));
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

  // Greeting: nothing is sent before the whole (possibly multi-line) 220 is in.
  step('greeting');
  f.greeting = await conn.read();
  f.timings.greeting_ms = transcript.elapsed() - (f.timings.connect_ms ?? 0);
  if (f.greeting.code !== 220) {
    // RFC 5321 §3.1: after a 554 greeting the client should QUIT; after a 4xx the server is going away.
    if (f.greeting.code >= 500) await sayQuit(conn, f);
    return;
  }

  // EHLO, falling back to HELO when EHLO is refused outright.
  step('ehlo');
  const ehloStart = transcript.elapsed();
  conn.send(ehlo(ctx.options.helo_name));
  f.ehlo = await conn.read();
  f.timings.ehlo_ms = transcript.elapsed() - ehloStart;
  if (is2xx(f.ehlo)) {
    f.extensions = parseExtensions(f.ehlo);
  } else if (f.ehlo.code >= 500) {
    step('helo');
    conn.send(helo(ctx.options.helo_name));
    f.helo = await conn.read();
    if (!is2xx(f.helo)) return sayQuit(conn, f);
    f.helo_fallback = true;
  } else {
    return sayQuit(conn, f);
  }

  // STARTTLS when offered; never pipelined across it.
  let extensions = f.extensions;
  f.starttls.offered = hasExtension(f.extensions, 'STARTTLS');
  if (f.starttls.offered) {
    step('starttls');
    f.starttls.attempted = true;
    conn.send(starttls());
    const answer = await conn.readStartTlsReply();
    f.starttls.reply = answer;
    if (answer.code === 220) {
      step('tls');
      const tlsStart = transcript.elapsed();
      try {
        const { tls, discarded } = await conn.startTls(target.mx[0] ?? null, ctx.trustStore, budget);
        f.starttls.ok = true;
        f.starttls.tls = tls;
        f.starttls.discarded_bytes = discarded;
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

  await runTransactions(conn, members, f, hasExtension(extensions, 'PIPELINING'), step, transcript);
}

/**
 * The transactions and QUIT: one flight when PIPELINING is advertised, lock-step otherwise.
 * With several members, their transactions follow one another on the connection, in order.
 */
async function runTransactions(
  conn: SmtpConnection,
  members: MemberState[],
  f: Findings,
  pipelining: boolean,
  step: (p: Phase) => void,
  transcript: Transcript,
): Promise<void> {
  for (const m of members)
    for (const p of m.planned) if (!p.run) m.transactions.set(p.kind, skippedTransaction(p, p.skipNote));
  const work = members.flatMap((m) => m.planned.filter((p) => p.run).map((p) => ({ m, p })));
  /** Send `own` on behalf of `m` (then `shared` commands such as QUIT in the same write), remembering which transcript lines are its. */
  const sendFor = (m: MemberState | null, own: string[], ...shared: string[]) => {
    const first = transcript.lines.length;
    conn.send(...own, ...shared);
    if (m) for (let i = first; i < transcript.lines.length && i < first + own.length; i++) m.commandLines.push(i);
  };

  if (pipelining && work.length > 0) {
    // RFC 2920: MAIL, RCPT, RSET and QUIT may all be sent at once; replies come back in order.
    f.pipelined = true;
    step(work[0]!.p.kind);
    const groups = members.map((m) =>
      m.planned.filter((p) => p.run).flatMap((p) => [mailFrom(p.mailFrom), rcptTo(p.rcptTo), rset()]),
    );
    // One write when there is one member (the whole flight); one write per member otherwise, back to back: still one flight.
    if (members.length === 1) {
      sendFor(members[0]!, groups[0]!, quit());
    } else {
      members.forEach((m, i) => groups[i]!.length > 0 && sendFor(m, groups[i]!));
      sendFor(null, [], quit());
    }
    for (const { m, p } of work) {
      step(p.kind);
      const replies: Reply[] = [];
      try {
        for (let i = 0; i < 3; i++) replies.push(await conn.read());
      } finally {
        m.transactions.set(p.kind, settleTransaction(p, replies[0] ?? null, replies[1] ?? null, replies[2] ?? null));
      }
    }
    step('quit');
    f.quit = await conn.read().catch((err: unknown) => {
      if (err instanceof ProbeAbort) return null;
      throw err;
    });
    return;
  }

  for (const [i, { m, p }] of work.entries()) {
    step(p.kind);
    let mail: Reply | null = null;
    let rcpt: Reply | null = null;
    let reset: Reply | null = null;
    // RFC 5321 §4.1.1.10: QUIT aborts an open transaction, so the last one ends with QUIT
    // instead of RSET then QUIT: one round trip less, the protocol minimum without PIPELINING.
    const last = i === work.length - 1;
    try {
      sendFor(m, [mailFrom(p.mailFrom)]);
      mail = await conn.read();
      if (is2xx(mail)) {
        sendFor(m, [rcptTo(p.rcptTo)]);
        rcpt = await conn.read();
      }
      if (!last) {
        sendFor(m, [rset()]);
        reset = await conn.read();
      }
    } finally {
      m.transactions.set(p.kind, settleTransaction(p, mail, rcpt, reset));
    }
  }
  await sayQuit(conn, f);
}

/** Every transaction the member ran got its answers. */
function settled(m: MemberState): boolean {
  return m.planned.every(
    (p) => !p.run || ['accepted', 'rejected', 'tempfail'].includes(m.transactions.get(p.kind)?.outcome ?? ''),
  );
}

/** Why the dialogue never reached the transactions, in words. */
function whyNotRun(f: Findings, error: ProbeError | null): string {
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
