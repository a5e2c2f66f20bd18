/**
 * The MX service payload a host sends in `options.service` (PROTOCOL.md,
 * "Options as a host sends them"): the MX set as the user configured it in
 * the zone, possibly not yet published. Names may be relative to the zone.
 */
import { isIP } from 'node:net';
import { OptionError } from '../model/errors.js';
import type { MxRecord } from '../model/mx-record.js';
import { MAX_MX_RECORDS, MAX_MX_TARGETS } from '../model/limits.js';
import { quote } from '../model/text.js';
import { validateHostname } from './validate.js';

export const MX_SERVICE_TYPE = 'svcs.MXs';
/** DNS RR type number of MX (RFC 1035 §3.2.2). */
const RRTYPE_MX = 15;
const MAX_PREFERENCE = 65535;

export interface MxService {
  /** The zone the service lives in: the domain, with the service's subdomain before it. Also the tested domain. */
  zone: string;
  /** MX records to probe; empty when the service carries none (then MX is looked up live). */
  records: MxRecord[];
}

function fail(message: string): never {
  throw new OptionError('service', `Option service ${message}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function hostname(name: string, what: string): string {
  const v = validateHostname(name);
  if (!v.ok) fail(`has ${what} ${quote(name)} that ${v.reason}.`);
  return v.value;
}

/** The zone: "" or "@" is the domain itself, a name already ending with the domain is absolute, anything else is a subdomain. */
function zoneOf(subdomain: unknown, domain: string): string {
  if (subdomain === undefined || subdomain === null) return domain;
  if (typeof subdomain !== 'string') fail(`_domain must be a string, got ${typeof subdomain}.`);
  const sub = subdomain.trim().replace(/\.+$/, '').toLowerCase();
  if (sub === '' || sub === '@') return domain;
  if (sub === domain || sub.endsWith(`.${domain}`)) return hostname(sub, 'a _domain');
  return hostname(`${sub}.${domain}`, 'a _domain');
}

/**
 * An MX target name from the payload, made absolute: "" or "@" is the zone, a
 * name ending with the zone is absolute, "." alone is the root (null MX), a
 * dotted name with a trailing dot is fully qualified (an outside provider,
 * "aspmx.l.google.com."), anything else is relative and gets the zone appended.
 * Trailing dots never end up in the result.
 */
export function absoluteMxName(raw: string, zone: string): string {
  const name = raw.trim().toLowerCase();
  if (name === '.') return '';
  const bare = name.replace(/\.+$/, '');
  if (bare === '' || bare === '@') return zone;
  if (isIP(bare)) return bare; // an address literal: DNS posture flags it (RFC 5321 §5.1)
  const qualified = name.endsWith('.') && bare.includes('.');
  const absolute = bare === zone || bare.endsWith(`.${zone}`) || qualified;
  return hostname(absolute ? bare : `${bare}.${zone}`, 'an MX target');
}

function preferenceOf(v: unknown, index: number): number {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_PREFERENCE) {
    fail(
      `MX record ${index + 1} has Preference ${quote(String(v))}; expected an integer between 0 and ${MAX_PREFERENCE}.`,
    );
  }
  return n;
}

/**
 * Parse `options.service`. Null when absent (MX then comes from a live
 * lookup); throws OptionError (option "service") when malformed.
 */
export function parseMxService(service: unknown, domain: string): MxService | null {
  if (service === undefined || service === null || service === '') return null;
  let payload: unknown = service;
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload) as unknown;
    } catch {
      fail('is a string that is not valid JSON.');
    }
  }
  if (!isObject(payload))
    fail(
      `must be an object (the ${MX_SERVICE_TYPE} service), got ${Array.isArray(payload) ? 'a list' : typeof payload}.`,
    );
  const type = payload['_svctype'];
  if (type !== undefined && type !== MX_SERVICE_TYPE) {
    fail(`is of type ${quote(String(type))}; this checker handles ${MX_SERVICE_TYPE} services only.`);
  }
  const zone = zoneOf(payload['_domain'], domain);

  const body = payload['Service'];
  if (body === undefined || body === null) return { zone, records: [] };
  if (!isObject(body)) fail('field Service must be an object holding an "mx" list.');
  const list = body['mx'];
  if (list === undefined || list === null) return { zone, records: [] };
  if (!Array.isArray(list)) fail('field Service.mx must be a list of MX records.');
  if (list.length > MAX_MX_RECORDS)
    fail(
      `holds ${list.length} MX records; at most ${MAX_MX_RECORDS} are accepted (the ${MAX_MX_TARGETS} best preferences are probed).`,
    );

  const records = list.map((record: unknown, i): MxRecord => {
    if (!isObject(record)) fail(`MX record ${i + 1} must be an object with Preference and Mx.`);
    const hdr = record['Hdr'];
    if (hdr !== undefined && hdr !== null) {
      if (!isObject(hdr)) fail(`MX record ${i + 1} has a Hdr that is not an object.`);
      const rrtype = hdr['Rrtype'];
      if (rrtype !== undefined && rrtype !== RRTYPE_MX)
        fail(`MX record ${i + 1} has Rrtype ${quote(String(rrtype))}; an MX record is type ${RRTYPE_MX}.`);
    }
    const target = record['Mx'];
    if (typeof target !== 'string') fail(`MX record ${i + 1} needs an Mx target name (a string).`);
    return { preference: preferenceOf(record['Preference'], i), exchange: absoluteMxName(target, zone) };
  });
  return { zone, records };
}
