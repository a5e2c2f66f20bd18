/**
 * What was seen on one endpoint, worded once for every report: STARTTLS,
 * the certificate, the transactions, reverse DNS, where the dialogue
 * stopped, the transcript. All server-supplied text is sanitized here.
 */
import type {
  CertificateInfo,
  EndpointProbe,
  Extensions,
  TlsInfo,
  Transaction,
  TranscriptLine,
} from '../model/observation.js';
import { sanitize } from '../model/text.js';
import { chainRole, isWeakKey, isWeakSignature, keyDescription } from '../rules/certificate-strength.js';
import { distinguishedName, duration, replyView, type Cell, type KeyValue, type ReplyView } from './wording.js';

export interface TransactionView {
  /** "Null sender", "Postmaster", "Open relay". */
  label: string;
  outcome: Cell;
  /** The relay probe was accepted: the one outcome a report must not let anyone miss. */
  openRelay: boolean;
  /** The envelope that was tried, for when no reply was received. */
  command: string;
  replies: (ReplyView & { command: string })[];
  /**
   * The replies on one line, for compact layouts: "MAIL 250 2.1.0 Ok · RCPT
   * <postmaster@example.com> 550 5.1.1 …". The recipient is shown because it
   * says what was probed; RSET is left out (it only ends the probe). Null
   * when nothing was answered.
   */
  brief: string | null;
  note: string | null;
}

export interface CertificateView {
  subject: string;
  issuer: string;
  names: string[];
  /** "2026-01-01 → 2027-06-01". */
  validity: string;
  expiry: Cell;
  trust: Cell;
  key: string | null;
  /** Every certificate of the chain, leaf first: role, subject, key and signature; weak ones warn and say so. */
  chain: Cell[];
  sni: string | null;
  fingerprint: string;
}

export interface TranscriptLineView {
  /** "+5 ms": time since connect. */
  time: string;
  dir: 'C' | 'S' | '*';
  /** "c", "s" or "e" (event): CSS-safe. */
  kind: 'c' | 's' | 'e';
  text: string;
}

const DAY_MS = 86_400_000;
/** A certificate closer than this to expiry gets a warning tone: two weeks is the usual renewal margin. */
const EXPIRY_WARNING_DAYS = 14;

/** Reached EHLO (or HELO): the session had something to offer STARTTLS on. */
export function sessionOpened(ep: EndpointProbe): boolean {
  return ep.connected && (ep.ehlo !== null || ep.helo !== null);
}

export function timings(ep: EndpointProbe): KeyValue[] {
  const t = ep.timings;
  return [
    { label: 'connect', value: duration(t.connect_ms) },
    { label: 'greeting', value: duration(t.greeting_ms) },
    { label: 'EHLO', value: duration(t.ehlo_ms) },
    { label: 'TLS handshake', value: duration(t.tls_ms) },
    { label: 'total', value: duration(t.total_ms) },
  ];
}

/** Keywords as the server advertised them ("SIZE 10240000"); null when EHLO was never answered. */
export function extensionList(e: Extensions | null): string[] | null {
  if (!e) return null;
  return e.keywords.map((k) => sanitize(e.params[k]?.length ? `${k} ${e.params[k]!.join(' ')}` : k));
}

/** The HELO reply when EHLO was refused and HELO tried instead; null when there was no fallback. */
export function heloFallback(ep: EndpointProbe): ReplyView | null {
  if (!ep.helo_fallback) return null;
  if (ep.helo) {
    const r = replyView(ep.helo);
    return { ...r, more: `${r.more} (fallback after EHLO refusal)` };
  }
  return { lines: [], first: 'no answer', more: ' (fallback after EHLO refusal)' };
}

/** STARTTLS, one line per fact; null when the session never got far enough to see whether it was offered. */
export function starttlsLines(ep: EndpointProbe): string[] | null {
  const st = ep.starttls;
  if (!sessionOpened(ep)) return null;
  if (!st.offered) return ['not offered: mail to this endpoint travels in clear text'];
  if (!st.attempted) return ['offered, not attempted'];
  const out: string[] = [];
  if (st.reply && st.reply.code !== 220) {
    const r = replyView(st.reply);
    out.push(`refused: ${r.first}${r.more}`);
  } else if (st.ok && st.tls) {
    const eph = st.tls.ephemeral
      ? `, key exchange ${[st.tls.ephemeral.type, st.tls.ephemeral.name, st.tls.ephemeral.bits].filter((x) => x !== null).join(' ')}`
      : '';
    out.push(
      `handshake ok in ${duration(ep.timings.tls_ms)}: ${sanitize(st.tls.version)}, ${sanitize(st.tls.cipher)}${sanitize(eph)}`,
    );
  } else out.push(`failed${st.error ? `: ${st.error.code} (${sanitize(st.error.message)})` : ''}`);
  if (st.discarded_bytes > 0)
    out.push(
      `${st.discarded_bytes} plaintext bytes sent after the 220 were discarded (injection attempt or server bug)`,
    );
  return out;
}

/** Days left relative to the check rather than to now, so a replayed report says the same. */
function expiry(leaf: CertificateInfo, checkedAt: string): Cell {
  const days = Math.floor((Date.parse(leaf.valid_to) - Date.parse(checkedAt)) / DAY_MS);
  if (Number.isNaN(days)) return { text: `expires ${sanitize(leaf.valid_to)}`, tone: 'muted' };
  if (days < 0) return { text: `expired ${-days} days before the check`, tone: 'bad' };
  return { text: `${days} days left at the check`, tone: days < EXPIRY_WARNING_DAYS ? 'warn' : 'ok' };
}

/** What a sender at default security (OpenSSL level 2) refuses is said in words, not only by tone. */
const TOO_SMALL = 'too small for default security';
const WEAK_HASH = 'a hash default security refuses';

/** "leaf CN=mx1.example.com: RSA 2048 bits, signed with sha256WithRSAEncryption". */
function chainLine(chain: readonly CertificateInfo[], index: number): Cell {
  const cert = chain[index]!;
  const weakKey = isWeakKey(cert);
  const weakSignature = isWeakSignature(chain, index);
  const key = keyDescription(cert);
  const facts = [
    ...(key ? [`${sanitize(key)}${weakKey ? ` (${TOO_SMALL})` : ''}`] : []),
    cert.self_signed
      ? 'self-signed'
      : `signed with ${sanitize(cert.signature_algorithm ?? 'an unreadable algorithm')}${weakSignature ? ` (${WEAK_HASH})` : ''}`,
  ];
  return {
    text: `${chainRole(chain, index)} ${distinguishedName(cert.subject)}: ${facts.join(', ')}`,
    tone: weakKey || weakSignature ? 'warn' : 'ok',
  };
}

/**
 * The handshake's chain verdict, reached at OpenSSL security level 0: when
 * it says trusted but a key or signature fails default security, say so.
 */
function trustCell(tls: TlsInfo): Cell {
  if (!tls.chain_trusted)
    return { text: `untrusted${tls.chain_error ? `: ${sanitize(tls.chain_error)}` : ''}`, tone: 'warn' };
  const weak = tls.chain.some((c, i) => isWeakKey(c) || isWeakSignature(tls.chain, i));
  return weak
    ? {
        text: 'trusted at the lowest security level only: a sender verifying at default security refuses this chain',
        tone: 'warn',
      }
    : { text: 'trusted chain', tone: 'ok' };
}

export function certificateView(ep: EndpointProbe, checkedAt: string): CertificateView | null {
  const tls = ep.starttls.tls;
  const leaf = tls?.chain[0];
  if (!tls || !leaf) return null;
  return {
    subject: distinguishedName(leaf.subject),
    issuer: distinguishedName(leaf.issuer),
    names: leaf.subject_alt_names.map(sanitize),
    validity: `${sanitize(leaf.valid_from.slice(0, 10))} → ${sanitize(leaf.valid_to.slice(0, 10))}`,
    expiry: expiry(leaf, checkedAt),
    trust: trustCell(tls),
    key: leaf.key_type ? `${sanitize(leaf.key_type)}${leaf.key_bits ? ` ${leaf.key_bits} bits` : ''}` : null,
    chain: tls.chain.map((_, i) => chainLine(tls.chain, i)),
    sni: tls.sni ? sanitize(tls.sni) : null,
    fingerprint: sanitize(leaf.fingerprint_sha256),
  };
}

const KIND_LABEL: Record<Transaction['kind'], string> = {
  null_sender: 'Null sender',
  postmaster: 'Postmaster',
  open_relay: 'Open relay',
};

/** The outcome as the operator reads it: for the relay probe, accepted is the alarm and refused the good news. */
export function transactionOutcome(t: Transaction): Cell {
  if (t.kind === 'open_relay') {
    if (t.outcome === 'accepted') return { text: 'OPEN RELAY: accepted', tone: 'bad' };
    if (t.outcome === 'rejected') return { text: 'refused', tone: 'ok' };
  } else {
    if (t.outcome === 'accepted') return { text: 'accepted', tone: 'ok' };
    if (t.outcome === 'rejected') return { text: 'rejected', tone: 'bad' };
  }
  if (t.outcome === 'tempfail') return { text: 'temporary failure (4xx)', tone: 'warn' };
  if (t.outcome === 'error') return { text: 'no answer', tone: 'warn' };
  return { text: 'skipped', tone: 'muted' };
}

/** The relay probe was accepted. */
export function relayed(t: Transaction): boolean {
  return t.kind === 'open_relay' && t.outcome === 'accepted';
}

export function isOpenRelay(ep: EndpointProbe): boolean {
  return ep.transactions.some(relayed);
}

export function transactionView(t: Transaction): TransactionView {
  const mailFrom = `MAIL FROM:<${sanitize(t.mail_from)}>`;
  const rcptTo = `RCPT TO:<${sanitize(t.rcpt_to)}>`;
  const mail = t.mail ? { command: mailFrom, ...replyView(t.mail) } : null;
  const rcpt = t.rcpt ? { command: rcptTo, ...replyView(t.rcpt) } : null;
  const rset = t.rset ? { command: 'RSET', ...replyView(t.rset) } : null;
  const brief = [
    ...(mail ? [`MAIL ${mail.first}${mail.more}`] : []),
    ...(rcpt ? [`RCPT <${sanitize(t.rcpt_to)}> ${rcpt.first}${rcpt.more}`] : []),
  ];
  return {
    label: KIND_LABEL[t.kind],
    outcome: transactionOutcome(t),
    openRelay: relayed(t),
    command: `${mailFrom} ${rcptTo}`,
    replies: [mail, rcpt, rset].filter((r) => r !== null),
    brief: brief.length > 0 ? brief.join(' · ') : null,
    note: t.note ? sanitize(t.note) : null,
  };
}

/** Said when the probe sent its transactions pipelined: the replies then arrived together. */
export function pipelinedNote(ep: EndpointProbe): string | null {
  return ep.pipelined && ep.transactions.some((t) => t.mail)
    ? 'The transactions were pipelined (PIPELINING advertised).'
    : null;
}

/** Reverse DNS, one line per name: whether each PTR name resolves back to this address. */
export function ptrLines(ep: EndpointProbe): string[] {
  const r = ep.reverse_dns;
  if (r.ptr_error) return [`PTR lookup failed: ${r.ptr_error.code} (${sanitize(r.ptr_error.message)})`];
  if (r.ptr.length === 0) return ['no PTR record'];
  const lines = r.forward.map((f) => {
    const n = sanitize(f.name);
    if (f.error) return `${n}: forward lookup failed (${f.error.code})`;
    if (f.addresses.includes(ep.address)) return `${n}: forward-confirmed`;
    return `${n}: resolves to ${f.addresses.map(sanitize).join(', ') || 'nothing'}, not this address`;
  });
  for (const p of r.ptr) if (!r.forward.some((f) => f.name === p)) lines.push(`${sanitize(p)}: not checked forward`);
  if (!r.fcrdns) lines.push('forward-confirmed reverse DNS fails');
  return lines;
}

/** Where and why the dialogue stopped early ("at greeting: timeout (…)"); null when it ran to the end. */
export function stopReason(ep: EndpointProbe): string | null {
  if (ep.error) return `at ${ep.error.phase}: ${ep.error.code} (${sanitize(ep.error.message)})`;
  return ep.connected ? null : 'at connect (no error recorded)';
}

const RETRY_REASONS: Record<NonNullable<EndpointProbe['retry']>['reason'], string> = {
  greeting_421: 'a 421 greeting: often a limit on concurrent connections that our parallel probes tripped',
  connect_refused: 'the connection was refused while another probe of the domain was connected',
  closed_before_greeting: 'the connection closed before any greeting while another probe of the domain was connected',
};

/**
 * The first attempt, when this record is a second one: what it got, why it
 * was not taken as the server's answer, and how long we waited; null when
 * the endpoint was tried once.
 */
export function retryLine(ep: EndpointProbe): string | null {
  const r = ep.retry;
  if (!r) return null;
  const got = r.first_greeting
    ? `got "${replyView(r.first_greeting).first}"`
    : r.first_error
      ? `stopped at ${r.first_error.phase}: ${sanitize(r.first_error.message)}`
      : 'got no answer';
  return `The first attempt (${sanitize(r.first_started_at)}) ${got}; ${RETRY_REASONS[r.reason]}. Tried again alone, ${duration(r.delay_ms)} later: what is shown is the second attempt.`;
}

function transcriptLine(l: TranscriptLine): TranscriptLineView {
  return {
    time: `+${Math.round(l.t)} ms`,
    dir: l.dir,
    kind: l.dir === 'C' ? 'c' : l.dir === 'S' ? 's' : 'e',
    text: sanitize(l.text),
  };
}

/**
 * Transcript lines a report shows from the start and from the end of a
 * dialogue. A whole dialogue, with STARTTLS, three transactions and a
 * plaintext fallback, is under a hundred lines, so a real one is always
 * shown whole; a hostile server that sends thousands of reply lines
 * (MAX_TRANSCRIPT_LINES are kept) no longer makes every report of the
 * domain megabytes long and seconds to render (issue 12). The JSON
 * observation keeps them all.
 */
export const REPORT_TRANSCRIPT_HEAD_LINES = 100;
export const REPORT_TRANSCRIPT_TAIL_LINES = 100;

export function transcript(ep: EndpointProbe): TranscriptLineView[] {
  const all = ep.transcript;
  if (all.length <= REPORT_TRANSCRIPT_HEAD_LINES + REPORT_TRANSCRIPT_TAIL_LINES) return all.map(transcriptLine);
  const left = all.length - REPORT_TRANSCRIPT_HEAD_LINES - REPORT_TRANSCRIPT_TAIL_LINES;
  const gap: TranscriptLineView = {
    time: '',
    dir: '*',
    kind: 'e',
    text: `… ${left} more lines not shown here (the JSON observation has all ${all.length}) …`,
  };
  return [
    ...all.slice(0, REPORT_TRANSCRIPT_HEAD_LINES).map(transcriptLine),
    gap,
    ...all.slice(-REPORT_TRANSCRIPT_TAIL_LINES).map(transcriptLine),
  ];
}

export function transcriptNote(ep: EndpointProbe): string | null {
  return ep.transcript_truncated ? 'Transcript truncated; the JSON observation has what was kept.' : null;
}
