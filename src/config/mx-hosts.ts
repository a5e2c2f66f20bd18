/**
 * The MX set a user names on the command line instead of a lookup
 * (`--mx mx1.example.com,mx2.example.com:2525,192.0.2.1,[2001:db8::1]:25`),
 * to test a server before it is published, as `swaks --server` does. Host
 * names and IP addresses alike (an address is what swaks takes); a port per
 * host when it is not the check's port. Preferences follow the order given.
 */
import { isIP } from 'node:net';
import { CheckerError } from '../model/errors.js';
import { MAX_MX_TARGETS } from '../model/limits.js';
import type { MxRecord } from '../model/mx-record.js';
import { quote } from '../model/text.js';
import { parsePort, splitHostPort } from './settings.js';
import { validateHostname } from './validate.js';

/** Preference of the first host given, and the step between hosts: the order given is the order tried. */
const PREFERENCE_STEP = 10;

function fail(message: string): never {
  throw new CheckerError('setting.invalid', message);
}

function parseMxHost(item: string, index: number): MxRecord {
  const { host, portText, bracketed } = splitHostPort(item);
  const port = portText === undefined ? undefined : parsePort(portText, `MX host ${quote(item)}: the port`);
  const preference = PREFERENCE_STEP * (index + 1);
  const at = (exchange: string): MxRecord =>
    port === undefined ? { preference, exchange } : { preference, exchange, port };
  if (isIP(host) !== 0) return at(host.toLowerCase());
  if (bracketed) fail(`MX host ${quote(item)}: ${quote(host)} is not an IPv6 address.`);
  const name = validateHostname(host);
  if (!name.ok) fail(`MX host ${quote(item)}: the host ${name.reason}.`);
  return at(name.value);
}

/**
 * Parse `--mx`: a comma-separated list of HOST[:PORT] (a host name, an IPv4
 * address, or an IPv6 address, in brackets when a port follows). Throws a
 * `setting.invalid` CheckerError quoting the bad item.
 */
export function parseMxHosts(input: string): MxRecord[] {
  const items = input.split(',').map((x) => x.trim());
  if (items.some((x) => x === ''))
    fail(`MX hosts ${quote(input)} are empty or have an empty item: give HOST[:PORT], or a comma-separated list.`);
  if (items.length > MAX_MX_TARGETS) fail(`${items.length} MX hosts given; at most ${MAX_MX_TARGETS} are checked.`);
  const records = items.map(parseMxHost);
  const seen = new Set<string>();
  for (const r of records) {
    if (seen.has(r.exchange)) fail(`MX host ${quote(r.exchange)} is given twice.`);
    seen.add(r.exchange);
  }
  return records;
}
