/**
 * The TLS checker's observations of the endpoints we published
 * (PROTOCOL.md "Discovery entries and related observations"), parsed
 * defensively: they are another program's data and may be missing, stale or
 * malformed. Nothing here throws; what cannot be used is kept with the reason,
 * so the rule and the report can say why they fell back to our own
 * evaluation.
 *
 * happyDomain's checker-tls publishes its per-endpoint posture under the
 * observation key `tls_probes`; its exact JSON is not a published contract,
 * so we accept the shape documented in README ("Related TLS observations")
 * and tolerate common spellings of each field.
 */
import { RELATED_TLS_KEY, refsOfEndpoint } from '../model/discovery.js';
import type { EndpointProbe } from '../model/observation.js';
import { Status, type StatusValue } from '../model/status.js';
import { cut, foldUnsafe } from '../model/text.js';

const DAY_MS = 86_400_000;
/**
 * Findings collected more than this long before our own probe are ignored:
 * the TLS checker runs on its own schedule (daily by default in happyDomain),
 * so three days allows for two missed runs, while a certificate renewed since
 * would no longer be judged from old data.
 */
export const STALE_AFTER_MS = 3 * DAY_MS;
/** Warn this long before expiry, as our own evaluation does (smtp.tls_quality). */
const EXPIRY_WARNING_DAYS = 14;
/** Third-party text is clipped to this many characters: a report line, not a document. */
const MAX_TEXT = 500;
/** At most this many findings per related observation are kept (a broken producer could send thousands). */
const MAX_FINDINGS = 50;

const OLD_VERSIONS = new Set([
  'sslv2',
  'sslv3',
  'tlsv1',
  'tlsv1.0',
  'tlsv1.1',
  'tls1.0',
  'tls1.1',
  'tls 1.0',
  'tls 1.1',
]);

export interface RelatedTlsFinding {
  status: StatusValue;
  /** Our code: `smtp.tls.*` (derived facts) or `smtp.tls.related.<their code>` (their issues). */
  code: string;
  /** The TLS checker's own code, when it gave one. */
  related_code: string | null;
  message: string;
  fix: string | null;
}

/** What the TLS checker saw, as far as it said (null: not stated). */
export interface RelatedTlsFacts {
  tls_version: string | null;
  cipher: string | null;
  chain_valid: boolean | null;
  chain_error: string | null;
  hostname_match: boolean | null;
  not_after: string | null;
  subject: string | null;
  issuer: string | null;
}

interface ProbeBase {
  ref: string;
  checker_id: string | null;
  collected_at: string | null;
}

export interface UsableTlsProbe extends ProbeBase {
  usable: true;
  facts: RelatedTlsFacts;
  findings: RelatedTlsFinding[];
  /** Individual issues that could not be read and were skipped. */
  skipped_issues: number;
}

export interface UnusableTlsProbe extends ProbeBase {
  usable: false;
  problem: 'malformed' | 'stale' | 'probe_error';
  /** Why it was not used, in words: "collected 9 days before this check". */
  reason: string;
}

export type RelatedTlsProbe = UsableTlsProbe | UnusableTlsProbe;

/** What the related data says about one endpoint. */
export interface EndpointTlsCoverage {
  refs: string[];
  usable: UsableTlsProbe[];
  unusable: UnusableTlsProbe[];
}

export interface RelatedTlsIndex {
  /** Whether the host sent any `tls_probes` entry at all. */
  present: boolean;
  probes: RelatedTlsProbe[];
  /** Entries that could not even be attributed to a ref. */
  unattributed: UnusableTlsProbe[];
  forEndpoint(endpoint: Pick<EndpointProbe, 'mx' | 'port'>): EndpointTlsCoverage;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Printable, bounded text from another program: controls removed, length capped. */
function text(v: unknown): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const s = foldUnsafe(String(v)).trim();
  if (s === '') return null;
  return cut(s, MAX_TEXT);
}

/** The first of `keys` present in `o` (several producers, several spellings). */
function pick(o: Json, ...keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
}

function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return null;
}

/** A distinguished name given as a string or as { CN: …, O: … }. */
function name(v: unknown): string | null {
  if (isObject(v)) {
    const parts = Object.entries(v)
      .filter(([, x]) => typeof x === 'string' || typeof x === 'number')
      .map(([k, x]) => `${k}=${String(x)}`);
    return text(parts.join(', '));
  }
  return text(v);
}

function date(v: unknown): string | null {
  const s = text(v);
  if (s === null || Number.isNaN(Date.parse(s))) return null;
  return new Date(Date.parse(s)).toISOString();
}

const SEVERITY_WORDS: Record<string, StatusValue> = {
  crit: Status.CRIT,
  critical: Status.CRIT,
  error: Status.CRIT,
  fatal: Status.CRIT,
  high: Status.CRIT,
  warn: Status.WARN,
  warning: Status.WARN,
  medium: Status.WARN,
  info: Status.INFO,
  notice: Status.INFO,
  low: Status.INFO,
  ok: Status.OK,
  pass: Status.OK,
  passed: Status.OK,
  none: Status.OK,
  unknown: Status.UNKNOWN,
};

/** Their severity as our status; protocol integers as PROTOCOL.md defines them (5 ERROR counts as CRIT: a finding, not our failure). */
function severityOf(v: unknown): StatusValue {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 5)
    return v === 5 ? Status.CRIT : (v as StatusValue);
  if (typeof v === 'string') return SEVERITY_WORDS[v.trim().toLowerCase()] ?? Status.UNKNOWN;
  // No severity, or one we cannot read: we do not know how bad it is, and say so.
  return Status.UNKNOWN;
}

function slug(code: string): string {
  const s = code
    .toLowerCase()
    .replace(/[^a-z0-9_.]+/g, '_')
    .replace(/^[._]+|[._]+$/g, '');
  return s.slice(0, 60) || 'finding';
}

function issueFinding(raw: unknown): RelatedTlsFinding | null {
  if (typeof raw === 'string') {
    const message = text(raw);
    return message
      ? { status: Status.UNKNOWN, code: 'smtp.tls.related.finding', related_code: null, message, fix: null }
      : null;
  }
  if (!isObject(raw)) return null;
  const message = text(pick(raw, 'message', 'msg', 'description', 'detail', 'text', 'title'));
  const relatedCode = text(pick(raw, 'code', 'id', 'rule', 'name', 'check'));
  if (message === null && relatedCode === null) return null;
  return {
    status: severityOf(pick(raw, 'severity', 'status', 'level')),
    code: `smtp.tls.related.${slug(relatedCode ?? 'finding')}`,
    related_code: relatedCode,
    message: message ?? relatedCode!,
    fix: text(pick(raw, 'fix', 'hint', 'remediation', 'recommendation')),
  };
}

function factsOf(d: Json): RelatedTlsFacts {
  const cert =
    [pick(d, 'certificate', 'leaf', 'cert'), (pick(d, 'chain') as unknown[] | undefined)?.[0]].find(isObject) ?? {};
  return {
    tls_version: text(pick(d, 'tls_version', 'tlsVersion', 'version', 'protocol')),
    cipher: text(pick(d, 'cipher', 'cipher_suite', 'cipherSuite')),
    chain_valid: bool(pick(d, 'chain_valid', 'chainValid', 'chain_trusted', 'trusted', 'valid_chain')),
    chain_error: text(pick(d, 'chain_error', 'chainError', 'verify_error', 'verification_error')),
    hostname_match: bool(pick(d, 'hostname_match', 'hostnameMatch', 'name_match', 'hostname_matches')),
    not_after:
      date(pick(d, 'not_after', 'notAfter', 'expires_at', 'expiresAt', 'valid_to', 'validTo', 'expiry')) ??
      date(pick(cert, 'not_after', 'notAfter', 'valid_to', 'validTo', 'expires_at')),
    subject: name(pick(d, 'subject')) ?? name(pick(cert, 'subject')),
    issuer: name(pick(d, 'issuer')) ?? name(pick(cert, 'issuer')),
  };
}

const FIX_CERT =
  'Install a certificate from a public CA that covers the MX name, with its full chain (Postfix smtpd_tls_chain_files, Exim tls_certificate), and reload the MTA.';

/** Findings from the facts alone, when the TLS checker gave facts but no issue list. */
function derivedFindings(f: RelatedTlsFacts, checkedAt: number): RelatedTlsFinding[] {
  const out: RelatedTlsFinding[] = [];
  const add = (status: StatusValue, code: string, message: string, fix: string): void => {
    out.push({ status, code, related_code: null, message, fix });
  };
  if (f.not_after !== null && !Number.isNaN(checkedAt)) {
    const left = Date.parse(f.not_after) - checkedAt;
    if (left < 0)
      add(
        Status.CRIT,
        'smtp.tls.expired',
        `The certificate expired on ${f.not_after}.`,
        `Renew the certificate and reload the MTA. ${FIX_CERT}`,
      );
    else if (left < EXPIRY_WARNING_DAYS * DAY_MS) {
      const days = Math.floor(left / DAY_MS);
      add(
        Status.WARN,
        'smtp.tls.expiring',
        `The certificate expires on ${f.not_after}, in ${days} day${days === 1 ? '' : 's'}.`,
        'Renew it now and check that automatic renewal works and reloads the MTA.',
      );
    }
  }
  if (f.chain_valid === false) {
    add(
      Status.WARN,
      'smtp.tls.untrusted',
      `The certificate chain is not trusted${f.chain_error ? ` (${f.chain_error})` : ''}; verifying senders and MTA-STS enforcement would refuse it.`,
      FIX_CERT,
    );
  }
  if (f.hostname_match === false) {
    add(
      Status.WARN,
      'smtp.tls.hostname_mismatch',
      `The certificate does not cover the MX name${f.subject ? ` (it names ${f.subject})` : ''}.`,
      `Get a certificate whose subjectAltName includes the MX name. ${FIX_CERT}`,
    );
  }
  if (f.tls_version !== null && OLD_VERSIONS.has(f.tls_version.toLowerCase())) {
    add(
      Status.WARN,
      'smtp.tls.old_version',
      `The server negotiated ${f.tls_version}, which is deprecated (RFC 8996).`,
      'Enable TLS 1.2 and 1.3 (Postfix "smtpd_tls_protocols = >=TLSv1.2", Exim openssl_options).',
    );
  }
  return out;
}

/**
 * The probe for `ref` inside `data`: the data itself, or one element of a
 * `probes`/`endpoints`/`results` collection (a map keyed by ref, or an array
 * of objects carrying `ref`), for producers that send one document for all.
 */
function probeData(data: Json, ref: string): Json {
  for (const key of ['probes', 'endpoints', 'results']) {
    const coll = data[key];
    if (isObject(coll) && isObject(coll[ref])) return coll[ref] as Json;
    if (Array.isArray(coll)) {
      const hit = coll.find((x) => isObject(x) && x['ref'] === ref);
      if (isObject(hit)) return hit;
    }
  }
  return data;
}

const FACT_KEYS: (keyof RelatedTlsFacts)[] = ['tls_version', 'chain_valid', 'hostname_match', 'not_after'];

function parseOne(raw: unknown, checkedAt: number): RelatedTlsProbe {
  if (!isObject(raw))
    return {
      ref: '',
      checker_id: null,
      collected_at: null,
      usable: false,
      problem: 'malformed',
      reason: 'the entry is not a JSON object',
    };
  const ref = typeof raw['ref'] === 'string' ? raw['ref'].trim().toLowerCase() : '';
  const base: ProbeBase = { ref, checker_id: text(raw['checkerId']), collected_at: date(raw['collectedAt']) };
  const bad = (problem: UnusableTlsProbe['problem'], reason: string): UnusableTlsProbe => ({
    ...base,
    usable: false,
    problem,
    reason,
  });
  if (ref === '') return bad('malformed', 'the entry has no "ref" naming the endpoint it covers');
  if (base.collected_at === null)
    return bad('malformed', 'the entry has no valid "collectedAt" date, so its age is unknown');
  const age = checkedAt - Date.parse(base.collected_at);
  if (age > STALE_AFTER_MS)
    return bad(
      'stale',
      `it was collected ${Math.floor(age / DAY_MS)} days before this check (${base.collected_at}), older than ${STALE_AFTER_MS / DAY_MS} days`,
    );
  if (!isObject(raw['data'])) return bad('malformed', '"data" is not a JSON object');
  const d = probeData(raw['data'], ref);
  const error = text(pick(d, 'error', 'err', 'probe_error'));
  const issues = pick(d, 'issues', 'findings', 'problems');
  const facts = factsOf(d);
  const hasFacts = FACT_KEYS.some((k) => facts[k] !== null);
  if (error !== null && !hasFacts && issues === undefined)
    return bad('probe_error', `the TLS checker could not probe it: ${error}`);
  if (issues !== undefined && !Array.isArray(issues)) return bad('malformed', '"issues" is not a list');
  if (Array.isArray(issues)) {
    const read = issues.slice(0, MAX_FINDINGS).map(issueFinding);
    const findings = read.filter((f): f is RelatedTlsFinding => f !== null && f.status !== Status.OK);
    const skipped = read.filter((f) => f === null).length;
    if (issues.length > 0 && skipped === Math.min(issues.length, MAX_FINDINGS))
      return bad('malformed', 'none of its issues has a message or a code');
    return { ...base, usable: true, facts, findings, skipped_issues: skipped };
  }
  if (!hasFacts)
    return bad(
      'malformed',
      'its data has neither an issue list nor any of tls_version, chain_valid, hostname_match, not_after',
    );
  return { ...base, usable: true, facts, findings: derivedFindings(facts, checkedAt), skipped_issues: 0 };
}

/**
 * Parses `related["tls_probes"]` once. `checkedAt` is the observation's
 * collected_at: staleness and expiry are judged as of our own probe, so a
 * stored report reads the same later.
 */
export function parseRelatedTls(
  related: Readonly<Record<string, readonly unknown[]>> | undefined,
  checkedAt: string,
): RelatedTlsIndex {
  const entries = related?.[RELATED_TLS_KEY];
  const list: readonly unknown[] = Array.isArray(entries) ? entries : [];
  const at = Date.parse(checkedAt);
  const probes = list.map((raw) => parseOne(raw, at));
  const byRef = new Map<string, RelatedTlsProbe[]>();
  for (const p of probes) if (p.ref !== '') byRef.set(p.ref, [...(byRef.get(p.ref) ?? []), p]);
  return {
    present: list.length > 0,
    probes,
    unattributed: probes.filter((p): p is UnusableTlsProbe => p.ref === ''),
    forEndpoint(endpoint) {
      const refs = refsOfEndpoint(endpoint).map((r) => r.toLowerCase());
      const mine = refs.flatMap((r) => byRef.get(r) ?? []);
      // The freshest usable observation per ref: a host may hand back several runs.
      const usable = refs
        .map(
          (r) =>
            mine
              .filter((p): p is UsableTlsProbe => p.usable && p.ref === r)
              .sort((a, b) => Date.parse(b.collected_at ?? '') - Date.parse(a.collected_at ?? ''))[0],
        )
        .filter((p): p is UsableTlsProbe => p !== undefined);
      const unusable = mine.filter((p): p is UnusableTlsProbe => !p.usable && !usable.some((u) => u.ref === p.ref));
      return { refs, usable, unusable };
    },
  };
}
