/**
 * The per-check options of SPEC.md, parsed from whatever a host, a form or
 * the CLI sends: numbers may come as strings, bools as "true". Anything that
 * cannot be made valid is refused with an OptionError naming the option,
 * before any connection is opened.
 */
import { OptionError } from '../model/errors.js';
import type { ObservationOptions } from '../model/observation.js';
import { DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S, MIN_TIMEOUT_S } from '../model/limits.js';
import { quote } from '../model/text.js';
import { isWithinDomain, validateAddress, validateHostname } from './validate.js';

export const DEFAULT_HELO_NAME = 'mx-checker.happydomain.org';
export const DEFAULT_PROBE_ADDRESS = 'postmaster@example.com';
/** Used when the tested domain is example.com itself, so the relay probe still targets an outside domain. */
const FALLBACK_PROBE_ADDRESSES = ['postmaster@example.net', 'postmaster@example.org'];

/** The validated per-check options: what the observation records, plus the domain. */
export type CheckOptions = Omit<ObservationOptions, 'port' | 'address_family'> & {
  /** A-label, lower-case, no trailing dot. */
  domain: string;
};

/** Option ids, labels, defaults and descriptions: the single source for the CLI help and the service definition. */
export const OPTION_FIELDS = [
  { id: 'domain', type: 'string', label: 'Domain', required: true, description: 'Domain to test.' },
  {
    id: 'timeout',
    type: 'number',
    label: 'Per-endpoint timeout (seconds)',
    default: DEFAULT_TIMEOUT_S,
    description: `Time budget for one endpoint, from TCP connect to QUIT (${MIN_TIMEOUT_S}–${MAX_TIMEOUT_S}).`,
  },
  {
    id: 'helo_name',
    type: 'string',
    label: 'EHLO hostname',
    default: DEFAULT_HELO_NAME,
    description: 'Hostname announced in EHLO/HELO. Use a name that resolves and has a matching PTR.',
  },
  {
    id: 'test_null_sender',
    type: 'bool',
    label: 'Probe null sender',
    default: true,
    description: 'Probe MAIL FROM:<> (RFC 5321 §4.5.5: bounces need it).',
  },
  {
    id: 'test_postmaster',
    type: 'bool',
    label: 'Probe postmaster',
    default: true,
    description: 'Probe RCPT TO:<postmaster@domain> (RFC 5321 §4.5.1).',
  },
  {
    id: 'test_open_relay',
    type: 'bool',
    label: 'Probe open-relay posture',
    default: true,
    description:
      'Probe a recipient outside the tested domain to detect open relays (stopped at RCPT; no mail is sent).',
  },
  {
    id: 'test_mail_from',
    type: 'string',
    label: 'Probe sender (MAIL FROM)',
    placeholder: 'postmaster@<EHLO hostname>',
    description:
      'Reverse-path of the postmaster and open-relay probes (the null-sender probe uses <>). Default: postmaster@ the EHLO hostname. Servers that verify senders (Exim "verify = sender", Postfix reject_unknown_sender_domain) refuse a sender whose domain does not resolve: use an address whose domain has MX or A records.',
  },
  {
    id: 'test_probe_address',
    type: 'string',
    label: 'Open-relay probe recipient',
    default: DEFAULT_PROBE_ADDRESS,
    description:
      'Mailbox outside the tested domain used for the open-relay probe; replaced by the default when inside the tested domain.',
  },
] as const;

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && /^ *$/.test(v));
}

export function parseBool(id: string, v: unknown, fallback: boolean): boolean {
  if (isAbsent(v)) return fallback;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  throw new OptionError(id, `Option ${id} must be true or false, got ${describe(v)}.`);
}

export function parseNumber(id: string, v: unknown, fallback: number, min: number, max: number): number {
  if (isAbsent(v)) return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[+]?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new OptionError(id, `Option ${id} must be a number, got ${describe(v)}.`);
  if (n < min || n > max) throw new OptionError(id, `Option ${id} must be between ${min} and ${max}, got ${n}.`);
  return n;
}

function parseString(id: string, v: unknown): string | undefined {
  if (isAbsent(v)) return undefined;
  if (typeof v !== 'string') throw new OptionError(id, `Option ${id} must be a string, got ${describe(v)}.`);
  // Stray spaces around a pasted value are forgiven; CR, LF and the like never are.
  return v.replace(/^ +| +$/g, '');
}

function describe(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Parse and validate raw options (any JSON values). Throws OptionError on the first bad one. */
export function parseOptions(raw: Record<string, unknown>): CheckOptions {
  const domainRaw = parseString('domain', raw['domain']);
  if (domainRaw === undefined)
    throw new OptionError('domain', 'Option domain is required: give the domain whose mail servers to test.');
  const domain = validateHostname(domainRaw);
  if (!domain.ok) throw new OptionError('domain', `Domain ${quote(domainRaw)} ${domain.reason}.`);

  const timeout = parseNumber('timeout', raw['timeout'], DEFAULT_TIMEOUT_S, MIN_TIMEOUT_S, MAX_TIMEOUT_S);

  const heloRaw = parseString('helo_name', raw['helo_name']) ?? DEFAULT_HELO_NAME;
  const helo = validateHostname(heloRaw);
  if (!helo.ok) throw new OptionError('helo_name', `EHLO name ${quote(heloRaw)} ${helo.reason}.`);

  const probeRaw = parseString('test_probe_address', raw['test_probe_address']) ?? DEFAULT_PROBE_ADDRESS;
  const probe = validateAddress(probeRaw);
  if (!probe.ok) throw new OptionError('test_probe_address', `Probe address ${quote(probeRaw)} ${probe.reason}.`);

  const mailFromRaw = parseString('test_mail_from', raw['test_mail_from']);
  const mailFrom =
    mailFromRaw === undefined ? { ok: true as const, value: `postmaster@${helo.value}` } : validateAddress(mailFromRaw);
  if (!mailFrom.ok)
    throw new OptionError('test_mail_from', `Probe sender ${quote(mailFromRaw ?? '')} ${mailFrom.reason}.`);

  const outside = outsideProbeAddress(probe.value, domain.value);
  return {
    domain: domain.value,
    timeout,
    helo_name: helo.value,
    test_null_sender: parseBool('test_null_sender', raw['test_null_sender'], true),
    test_postmaster: parseBool('test_postmaster', raw['test_postmaster'], true),
    test_open_relay: parseBool('test_open_relay', raw['test_open_relay'], true),
    test_probe_address: outside,
    test_mail_from: mailFrom.value,
    probe_address_replaced: outside !== probe.value,
  };
}

/** A relay probe to a recipient inside the tested domain proves nothing: swap in an outside default. */
function outsideProbeAddress(address: string, domain: string): string {
  const inside = (a: string) => isWithinDomain(a.slice(a.lastIndexOf('@') + 1), domain);
  if (!inside(address)) return address;
  return [DEFAULT_PROBE_ADDRESS, ...FALLBACK_PROBE_ADDRESSES].find((a) => !inside(a))!;
}
