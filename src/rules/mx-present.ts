import type { DnsFacts, DnsFailure, Observation } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { quote } from '../model/text.js';
import { finding, isLookupFailure, okState, plural, type Rule } from './rule.js';

const NAME = 'smtp.mx_present';

const PUBLISH_MX =
  'Publish MX records naming your mail servers (e.g. "example.com. MX 10 mx1.example.com."), or a null MX ("MX 0 .", RFC 7505) if the domain should receive no mail.';

export const mxPresent: Rule = {
  name: NAME,
  description: 'The domain publishes at least one MX record (or a null MX).',
  evaluate(obs) {
    const { dns, domain } = obs;
    if (dns.null_mx) return [okState(NAME, obs, `${domain} publishes a null MX; no other MX is expected.`)];
    const explicit = [...dns.mx.filter((t) => !t.implicit), ...dns.mx_not_probed];
    if (dns.source === 'given') {
      return [
        okState(
          NAME,
          obs,
          `The MX set of ${domain} was given with --mx (${plural(explicit.length, 'host')}), not looked up: whether ${domain} publishes MX records was not checked.`,
          { mx: explicit.map((t) => t.name), source: 'given' },
        ),
      ];
    }
    const published = explicit.length + dns.mx_unlisted;
    if (published > 0) {
      return [
        okState(NAME, obs, `${domain} publishes ${plural(published, 'MX record')}.`, {
          mx: explicit.map((t) => t.name),
        }),
      ];
    }
    if (dns.implicit_mx) {
      return [
        finding(NAME, {
          status: Status.WARN,
          code: 'smtp.mx.implicit',
          subject: domain,
          message: `${domain} publishes no MX record; senders fall back to its own A/AAAA records as an implicit MX (RFC 5321 §5.1), which many treat as a misconfiguration.`,
          fix: `Publish an MX record, e.g. "${domain}. MX 10 ${domain}.", or one naming your mail server.`,
        }),
      ];
    }
    const err = dns.mx_error;
    const resolverSaid = err ? resolverFinding(obs, err) : null;
    if (resolverSaid) return [resolverSaid];
    if (err && isLookupFailure(err.code)) {
      return [
        finding(NAME, {
          status: Status.UNKNOWN,
          code: 'smtp.mx.lookup_failed',
          subject: domain,
          message: `Could not look up the MX records of ${domain}: the lookup through ${resolverName(dns)} failed with ${err.code} (${err.message})${dns.resolver_check?.root.answered ? ", though it answers for the root zone: the domain's name servers (or its DNSSEC) are at fault" : ''}.`,
          fix:
            'Check that the domain\'s authoritative name servers answer (e.g. "dig MX ' +
            domain +
            '"), then run the check again.',
          meta: { dns_error: err },
        }),
      ];
    }
    if (err?.code === 'NXDOMAIN') {
      return [
        finding(NAME, {
          status: Status.CRIT,
          code: 'smtp.mx.none',
          subject: domain,
          message: `${domain} does not exist (NXDOMAIN${dns.resolver_check?.root.answered ? ` from ${resolverName(dns)}, which answers for the root zone${dns.resolver_check.tld?.answered ? ` and for .${dns.resolver_check.tld.name}` : ''}` : ''}), so it cannot receive mail.`,
          fix: 'Check the domain name, its delegation and its zone; then publish MX records for it.',
          meta: { dns_error: err },
        }),
      ];
    }
    return [
      finding(NAME, {
        status: Status.CRIT,
        code: 'smtp.mx.none',
        subject: domain,
        message: `${domain} publishes no MX record and has no A/AAAA record to fall back on, so no mail can be delivered to it.`,
        fix: PUBLISH_MX,
      }),
    ];
  },
};

/** "the system's resolver 127.0.0.53:53" / "the resolver 192.0.2.53:53 (from the resolver setting)". */
export function resolverName(dns: DnsFacts): string {
  const servers = dns.resolver.servers.join(', ') || '(none configured)';
  return dns.resolver.source === 'system'
    ? `the system's resolver ${servers}`
    : `the resolver ${servers} (from the resolver setting)`;
}

function failed(f: DnsFailure): string {
  return `${f.code} (${quote(f.message)})`;
}

/**
 * The MX lookup failed, or said NXDOMAIN, and the resolver check says whose
 * doing it was: a broken or filtering resolver (UNKNOWN, with a local fix),
 * a top-level domain that does not exist (CRIT: a typo), a cut, or a
 * timeout whose resolver otherwise works. Null: the verdict of the lookup
 * stands as it is.
 */
function resolverFinding(obs: Observation, err: DnsFailure): CheckState | null {
  const { dns, domain } = obs;
  const check = dns.resolver_check;
  const resolver = resolverName(dns);
  const meta = { dns_error: err, resolver: dns.resolver, resolver_check: check };
  if (obs.cut && err.code === 'TIMEOUT') {
    return finding(NAME, {
      status: Status.UNKNOWN,
      code: 'smtp.mx.lookup_failed',
      subject: domain,
      message: `Could not look up the MX records of ${domain}: ${obs.cut.message} before ${resolver} answered.`,
      fix: 'Run the check again, with more time if its deadline ran out.',
      meta,
    });
  }
  if (!check) return null;
  if (check.conclusion === 'resolver') {
    const root = check.root.error ? `; it fails for the root zone (.) too: ${failed(check.root.error)}` : '';
    const answered = isLookupFailure(err.code)
      ? `did not answer the MX question: ${failed(err)}`
      : `answered ${failed(err)}`;
    const why = check.root.error
      ? 'it is broken or filtering, so this says nothing about the domain'
      : 'it answers for the root zone, so it refuses or cannot serve this question: this says nothing about the domain';
    return finding(NAME, {
      status: Status.UNKNOWN,
      code: 'smtp.mx.resolver_failed',
      subject: domain,
      message: `Could not look up the MX records of ${domain}: ${resolver} ${answered}${root}; ${why}.`,
      fix: `Check this machine's DNS resolver (/etc/resolv.conf; "dig @${dns.resolver.servers[0]?.replace(/:\d+$/, '').replace(/^\[|\]$/g, '') ?? 'RESOLVER'} . SOA" must answer), or run the check with --resolver IP naming a resolver that works.`,
      meta,
    });
  }
  if (check.conclusion === 'tld_missing' && check.tld) {
    return finding(NAME, {
      status: Status.CRIT,
      code: 'smtp.mx.tld_missing',
      subject: domain,
      message: `${domain} does not exist: the top-level domain .${check.tld.name} does not exist (a typo?), so it cannot receive mail.`,
      fix: `Check the spelling of the domain: there is no top-level domain ".${check.tld.name}".`,
      meta,
    });
  }
  if (err.code === 'TIMEOUT') {
    return finding(NAME, {
      status: Status.UNKNOWN,
      code: 'smtp.mx.lookup_failed',
      subject: domain,
      message: `Could not look up the MX records of ${domain}: ${resolver} did not answer in time (${failed(err)}), though it answers for the root zone: the domain's name servers are probably slow or unreachable.`,
      fix: `Check that the domain's authoritative name servers answer (e.g. "dig +trace MX ${domain}"); if this machine's resolver is the problem, run the check with --resolver IP.`,
      meta,
    });
  }
  return null;
}
