/**
 * The machine's own address(es) outgoing SMTP connections leave from
 * (`--source-address`): a hosting provider's checker runs from an address
 * with forward-confirmed reverse DNS, since receivers refuse clients
 * without one. At most one per family: a connection can only be bound to
 * an address of its own family, so an IPv4 source serves IPv4 endpoints and
 * an IPv6 one IPv6 endpoints; a family without one leaves from the
 * system's choice of address.
 */
import { isIP } from 'node:net';
import { CheckerError } from '../model/errors.js';
import { quote } from '../model/text.js';

/** The bound address per family; an absent family is left to the system. */
export interface SourceAddresses {
  4?: string;
  6?: string;
}

/**
 * Parse `--source-address` values (each may be a comma-separated list):
 * IP addresses, at most one IPv4 and one IPv6, not the unspecified address
 * (binding to it binds nothing). Throws `setting.invalid` quoting the value.
 */
export function parseSourceAddresses(values: readonly string[]): SourceAddresses {
  const out: SourceAddresses = {};
  for (const item of values.flatMap((v) => v.split(',')).map((v) => v.trim())) {
    const address = item.replace(/^\[(.*)\]$/, '$1');
    const family = isIP(address);
    if (family !== 4 && family !== 6)
      throw new CheckerError('setting.invalid', `Source address ${quote(item)} is not an IP address.`);
    if (address === '0.0.0.0' || /^[0:]+$/.test(address))
      throw new CheckerError(
        'setting.invalid',
        `Source address ${quote(item)} is the unspecified address: give one of this machine's addresses.`,
      );
    const already = out[family];
    if (already !== undefined)
      throw new CheckerError(
        'setting.invalid',
        `Two IPv${family} source addresses (${quote(already)} and ${quote(address)}): a connection leaves from one; give at most one per family.`,
      );
    out[family] = address;
  }
  return out;
}
