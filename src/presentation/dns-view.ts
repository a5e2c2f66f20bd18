/**
 * The DNS facts as the reports show them: where the MX set came from, what
 * it says (null MX, implicit MX, nothing), each target with its addresses,
 * aliases and lookup failures.
 */
import type {
  DnsFacts,
  DnsFailure,
  MxNotProbed,
  MxTarget,
  Observation,
  ResolverQuestion,
} from '../model/observation.js';
import { plural, sanitize } from '../model/text.js';
import type { Tone } from './wording.js';

export interface DnsTargetView {
  preference: string;
  name: string;
  /** "192.0.2.10, 2001:db8::10"; "no address" when none resolved; "" for an IP literal (its name is the address). */
  addresses: string;
  notes: string[];
  errors: string[];
}

export interface DnsView {
  source: string;
  /** "127.0.0.53:53 (the system's resolver)": whose answers these are. */
  resolver: string;
  notes: { text: string; tone: Tone }[];
  targets: DnsTargetView[];
}

function failure(f: DnsFailure): string {
  return `${f.code} (${sanitize(f.message)})`;
}

function targetView(t: MxTarget, given: boolean): DnsTargetView {
  const notes: string[] = [];
  if (t.implicit) notes.push('implicit MX: the domain itself');
  if (t.ip_literal) notes.push(given ? 'an address given with --mx' : 'IP literal, not a host name (RFC 5321 §5.1)');
  if (t.cname_chain.length > 0)
    notes.push(`CNAME → ${t.cname_chain.map(sanitize).join(' → ')} (RFC 5321 §5.1: MX targets must not be aliases)`);
  if (t.ipv4_mapped.length > 0)
    notes.push(
      `AAAA ${t.ipv4_mapped.map(sanitize).join(', ')}: IPv4-mapped, not IPv6; probed once, as the IPv4 address it maps`,
    );
  return {
    preference: String(t.preference),
    name: sanitize(t.name),
    // A literal's name is its address: listing it again says nothing.
    addresses: t.ip_literal ? '' : [...t.ipv4, ...t.ipv6].map(sanitize).join(', ') || 'no address',
    notes,
    errors: t.errors.map((e) => `lookup failed: ${e.rrtype} ${sanitize(e.name)}: ${failure(e)}`),
  };
}

function notProbedView(t: MxNotProbed): DnsTargetView {
  return {
    preference: String(t.preference),
    name: sanitize(t.name),
    addresses: 'not looked up',
    notes: [sanitize(t.message)],
    errors: [],
  };
}

/** The resolver as the reports name it. */
export function resolverView(dns: DnsFacts): string {
  const servers = dns.resolver.servers.map(sanitize).join(', ') || '(none configured)';
  return `${servers} (${dns.resolver.source === 'system' ? "the system's resolver" : 'from the resolver setting'})`;
}

function question(q: ResolverQuestion): string {
  const name = q.name === '.' ? 'the root zone (.)' : `the top-level domain .${sanitize(q.name)}`;
  return `${q.rrtype} of ${name}: ${q.answered ? 'answered' : q.error ? failure(q.error) : 'no answer'}`;
}

/** The resolver check, when it ran: what was asked, and what it says. */
function resolverCheckNotes(dns: DnsFacts): DnsView['notes'] {
  const check = dns.resolver_check;
  if (!check) return [];
  const asked = [check.root, ...(check.tld ? [check.tld] : [])].map(question).join('; ');
  const said =
    check.conclusion === 'resolver'
      ? {
          text: 'the resolver itself fails or filters: the MX lookup says nothing about the domain',
          tone: 'warn' as const,
        }
      : check.conclusion === 'tld_missing'
        ? { text: `the top-level domain .${sanitize(check.tld?.name ?? '')} does not exist`, tone: 'bad' as const }
        : { text: "the resolver works: the MX lookup's answer is the domain's", tone: 'info' as const };
  return [{ text: `Resolver check (asked of the same resolver): ${asked}. So ${said.text}.`, tone: said.tone }];
}

const SOURCES: Record<DnsFacts['source'], string> = {
  live: 'MX set from a live DNS lookup',
  service: 'MX set from the host (service definition)',
  given: 'MX set given on the command line (--mx), not looked up',
};

export function dnsView(obs: Observation): DnsView {
  const dns = obs.dns;
  const notes: DnsView['notes'] = [];
  if (dns.mx_error) notes.push({ text: `MX lookup failed: ${failure(dns.mx_error)}`, tone: 'bad' });
  notes.push(...resolverCheckNotes(dns));
  if (dns.null_mx)
    notes.push({ text: 'Null MX (MX 0 .): the domain declares that it accepts no mail (RFC 7505).', tone: 'info' });
  else if (dns.implicit_mx)
    notes.push({
      text: "No MX record: the domain's own addresses serve as implicit MX (RFC 5321 §5.1).",
      tone: 'warn',
    });
  else if (dns.mx.length === 0 && dns.mx_not_probed.length === 0 && !dns.mx_error)
    notes.push({ text: 'No MX record and no address for the domain.', tone: 'bad' });
  if (dns.mx_unlisted > 0)
    notes.push({
      text: `${plural(dns.mx_unlisted, 'more MX target')} not looked up, not probed and not listed: more MX records than one check takes.`,
      tone: 'warn',
    });
  if (obs.caps.endpoints_over_cap > 0)
    notes.push({
      text: `${plural(obs.caps.endpoints_over_cap, 'address', 'addresses')} of these MX targets not probed: over the cap of ${obs.caps.max_endpoints} endpoints per check.`,
      tone: 'warn',
    });
  return {
    source: SOURCES[dns.source],
    resolver: resolverView(dns),
    notes,
    targets: [...dns.mx.map((t) => targetView(t, dns.source === 'given')), ...dns.mx_not_probed.map(notProbedView)],
  };
}

/** Why the endpoint list is empty; null when it is not. */
export function noEndpointReason(obs: Observation): string | null {
  if (obs.endpoints.length > 0) return null;
  if (obs.dns.null_mx) return 'No endpoint probed: a null MX means there is nothing to probe.';
  if (obs.dns.mx_error?.code === 'NXDOMAIN' && obs.dns.resolver_check?.conclusion !== 'resolver')
    return 'No endpoint probed: the domain does not exist (NXDOMAIN).';
  if (obs.dns.mx_error) return 'No endpoint probed: the MX lookup failed.';
  if (obs.dns.mx.length === 0 && obs.dns.mx_not_probed.length > 0)
    return `No endpoint probed: no MX target was looked up (${sanitize(obs.dns.mx_not_probed[0]!.message)}).`;
  return 'No endpoint probed: no MX target resolved to an address.';
}
