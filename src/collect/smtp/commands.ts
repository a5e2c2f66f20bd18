/**
 * The only way a command reaches the wire. Every argument is checked here
 * again, whatever validated it before: a CR or LF in a name or address would
 * let one command smuggle another (SMTP command injection), so anything but
 * the plain syntax we mean to send is refused with `command.unsafe`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { CheckerError } from '../../model/errors.js';
import { quoteAtMost } from '../../model/text.js';

export const CRLF = '\r\n';

/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
const MAX_COMMAND_LINE_BYTES = 512;
/** RFC 5321 §4.5.3.1.1-2: local part at most 64 octets, domain at most 255. */
const MAX_LOCAL_PART = 64;
const MAX_DOMAIN = 255;
/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its angle brackets. */
const MAX_ADDRESS = 254;

/** LDH label (RFC 1123 §2.1): letters, digits, inner hyphens; A-labels ("xn--…") included. */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** RFC 5321 Dot-string: atext runs (RFC 5322 §3.2.3) joined by single dots. */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** RFC 5321 §4.1.3 IPv6 literal body, before net.isIPv6 (which would also take a "%zone"). */
const IPV6_CHARS = /^[0-9A-Fa-f:.]+$/;

/** The EHLO/HELO argument: a hostname, or an address literal for a host without one. */
export function ehlo(name: string): string {
  return `EHLO ${checkName(name, 'EHLO')}`;
}

export function helo(name: string): string {
  return `HELO ${checkName(name, 'HELO')}`;
}

export function starttls(): string {
  return 'STARTTLS';
}

/** `""` is the null reverse-path of bounces (RFC 5321 §4.5.5): `MAIL FROM:<>`. */
export function mailFrom(address: string): string {
  return address === '' ? 'MAIL FROM:<>' : `MAIL FROM:<${checkAddress(address, 'MAIL FROM')}>`;
}

export function rcptTo(address: string): string {
  return `RCPT TO:<${checkAddress(address, 'RCPT TO')}>`;
}

export function rset(): string {
  return 'RSET';
}

export function quit(): string {
  return 'QUIT';
}

/** The bytes to write: one printable-ASCII command line and its CRLF, nothing else. */
export function toWire(command: string): string {
  // Builders only produce printable ASCII; anything else here is our own bug.
  if (typeof command !== 'string' || !/^[\x20-\x7e]+$/.test(command)) {
    throw unsafe(`Refusing to send a command that is not one line of printable ASCII: ${quote(command)}`);
  }
  if (command.length + CRLF.length > MAX_COMMAND_LINE_BYTES) {
    throw unsafe(`Refusing to send a command longer than ${MAX_COMMAND_LINE_BYTES} bytes: ${quote(command)}`);
  }
  return command + CRLF;
}

function checkName(name: string, verb: string): string {
  if (typeof name !== 'string' || !(isHostname(name) || isAddressLiteral(name))) {
    throw unsafe(
      `Refusing to send ${verb} with ${quote(name)}: not a hostname (letters, digits, hyphens, dots) nor an address literal such as [192.0.2.1]`,
    );
  }
  return name;
}

function checkAddress(address: string, verb: string): string {
  const at = typeof address === 'string' ? address.lastIndexOf('@') : -1;
  const local = at > 0 ? address.slice(0, at) : '';
  const domain = at > 0 ? address.slice(at + 1) : '';
  if (
    at <= 0 ||
    address.length > MAX_ADDRESS ||
    local.length > MAX_LOCAL_PART ||
    !DOT_ATOM.test(local) ||
    !isHostname(domain)
  ) {
    throw unsafe(`Refusing to send ${verb} with ${quote(address)}: not a plain address such as postmaster@example.com`);
  }
  return address;
}

/** LDH hostname, no trailing dot: what goes after EHLO or "@" on the wire. */
function isHostname(name: string): boolean {
  if (name.length === 0 || name.length > MAX_DOMAIN) return false;
  return name.split('.').every((label) => LABEL.test(label));
}

function isAddressLiteral(literal: string): boolean {
  const inner = /^\[(.*)\]$/s.exec(literal)?.[1];
  if (inner === undefined) return false;
  const v6 = /^IPv6:(.*)$/is.exec(inner)?.[1];
  if (v6 !== undefined) return IPV6_CHARS.test(v6) && isIPv6(v6);
  return isIPv4(inner);
}

function unsafe(message: string): CheckerError {
  return new CheckerError('command.unsafe', message);
}

/** A refused command is quoted at more length than a typed value: the whole line is what went wrong. */
const COMMAND_QUOTE_MAX_CHARS = 300;

/** The value quoted with every control escaped; cut when long: the message is for a person, not a hex dump. */
function quote(value: unknown): string {
  if (typeof value !== 'string') return `a ${typeof value}`;
  return quoteAtMost(value, COMMAND_QUOTE_MAX_CHARS);
}
