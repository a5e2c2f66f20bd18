import type { DnsFacts, MxTarget } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { finding, okState, orOk, plural, type Rule } from './rule.js';

const NAME = 'smtp.mx_sanity';

/** Every lookup failed for a reason that says nothing about the name itself. */
function onlyTransient(t: MxTarget): boolean {
  return t.errors.length > 0 && t.errors.every((e) => e.code === 'SERVFAIL' || e.code === 'TIMEOUT');
}

function unresolvedMessage(t: MxTarget): string {
  if (onlyTransient(t)) {
    const codes = [...new Set(t.errors.map((e) => e.code))].join(', ');
    return `The MX target ${t.name} could not be resolved (${codes}); senders hitting the same failure cannot deliver to it.`;
  }
  const detail = t.errors.length > 0 ? ` (${t.errors.map((e) => `${e.rrtype}: ${e.code}`).join(', ')})` : '';
  return `The MX target ${t.name} does not resolve to any A or AAAA record${detail}, so no mail can be delivered through it.`;
}

function judge(t: MxTarget, given: boolean): CheckState[] {
  const out: CheckState[] = [];
  const subject = t.name;
  const meta = { mx: t.name, preference: t.preference };
  // An address the user named to test a server (--mx 192.0.2.1, as swaks --server) is published nowhere.
  if (t.ip_literal && given) return out;
  if (t.ip_literal) {
    out.push(
      finding(NAME, {
        status: Status.CRIT,
        code: 'smtp.mx.ip_literal',
        subject,
        message: `The MX target ${t.name} is an IP address, not a host name; RFC 5321 §5.1 requires a name and many senders will not deliver to it.`,
        fix: `Publish A/AAAA records for a host name (e.g. mx1.<your domain>) pointing at ${t.name}, and name that host in the MX record.`,
        meta,
      }),
    );
    return out;
  }
  if (t.cname_chain.length > 0) {
    out.push(
      finding(NAME, {
        status: Status.CRIT,
        code: 'smtp.mx.cname',
        subject,
        message: `The MX target ${t.name} is an alias (CNAME to ${t.cname_chain.join(' → ')}); RFC 5321 §5.1 requires MX targets to be names with A/AAAA records, and some senders refuse aliases.`,
        fix: `Replace the CNAME at ${t.name} with A/AAAA records for the MX name (RFC 5321 §5.1), or point the MX record at the canonical name ${t.cname_chain[t.cname_chain.length - 1]}.`,
        meta: { ...meta, cname_chain: t.cname_chain },
      }),
    );
  }
  if (t.ipv4_mapped.length > 0) {
    const v4 = t.ipv4_mapped.map((a) => a.replace(/^::ffff:/i, ''));
    out.push(
      finding(NAME, {
        status: Status.WARN,
        code: 'smtp.mx.mapped_aaaa',
        subject,
        message: `The MX target ${t.name} publishes AAAA ${t.ipv4_mapped.join(', ')}: ${t.ipv4_mapped.length === 1 ? 'an IPv4-mapped address' : 'IPv4-mapped addresses'}, not IPv6 (RFC 4291 §2.5.5.2: they never appear on the wire). Senders either skip ${t.ipv4_mapped.length === 1 ? 'it' : 'them'} or reach ${v4.join(', ')} over IPv4, so it was probed once, as IPv4.`,
        fix: `Remove the AAAA record${t.ipv4_mapped.length === 1 ? '' : 's'} of ${t.name}, or replace ${t.ipv4_mapped.length === 1 ? 'it' : 'them'} with the server's real IPv6 address.`,
        meta: { ...meta, ipv4_mapped: t.ipv4_mapped },
      }),
    );
  }
  if (t.ipv4.length === 0 && t.ipv6.length === 0) {
    out.push(
      finding(NAME, {
        status: Status.CRIT,
        code: 'smtp.mx.unresolved',
        subject,
        message: unresolvedMessage(t),
        fix: onlyTransient(t)
          ? `Check that the name servers for ${t.name} answer A and AAAA queries (e.g. "dig A ${t.name}").`
          : `Publish A and/or AAAA records for ${t.name}, or point the MX record at a host name that has them.`,
        meta: { ...meta, errors: t.errors },
      }),
    );
  }
  return out;
}

/** MX targets published but not looked up: over the cap, or outside the allowed domains. Never judged, always said. */
function notProbed(dns: DnsFacts, domain: string): CheckState[] {
  const out = dns.mx_not_probed.map((t) =>
    finding(NAME, {
      status: Status.UNKNOWN,
      code: 'smtp.mx.not_probed',
      subject: t.name,
      message: `The MX target ${t.name} (preference ${t.preference}) was ${t.message}. This says nothing about it.`,
      ...(t.reason === 'not_allowed'
        ? { fix: "Add its domain to the checker's allowed domains (--allowed-domains) to have it probed." }
        : {}),
      meta: { mx: t.name, preference: t.preference, reason: t.reason },
    }),
  );
  if (dns.mx_unlisted > 0) {
    out.push(
      finding(NAME, {
        status: Status.UNKNOWN,
        code: 'smtp.mx.not_probed',
        subject: domain,
        message: `${plural(dns.mx_unlisted, 'more MX target')} of ${domain} ${dns.mx_unlisted === 1 ? 'was' : 'were'} neither looked up nor probed, nor listed: the domain publishes more MX records than one check takes.`,
        meta: { unlisted: dns.mx_unlisted },
      }),
    );
  }
  return out;
}

export const mxSanity: Rule = {
  name: NAME,
  description: 'MX targets are resolvable host names, not IP literals or CNAMEs (RFC 5321 §5.1).',
  evaluate(obs) {
    if (obs.dns.null_mx)
      return [okState(NAME, obs, `${obs.domain} publishes a null MX; there is no MX target to check.`)];
    const targets = obs.dns.mx.filter((t) => !t.implicit);
    const left = notProbed(obs.dns, obs.domain);
    if (targets.length === 0 && left.length > 0) return left;
    if (targets.length === 0) {
      if (obs.dns.implicit_mx) {
        return [
          okState(
            NAME,
            obs,
            `${obs.domain} has no MX target to check; its implicit MX is reported by smtp.mx_present.`,
          ),
        ];
      }
      return [
        finding(NAME, {
          status: Status.UNKNOWN,
          code: 'smtp.mx.untested',
          subject: obs.domain,
          message: `${obs.domain} has no MX target to check (see smtp.mx_present).`,
        }),
      ];
    }
    const given = obs.dns.source === 'given';
    return orOk([...targets.flatMap((t) => judge(t, given)), ...left], () =>
      okState(
        NAME,
        obs,
        given && targets.some((t) => t.ip_literal)
          ? `The hosts given with --mx are IP addresses (probed as given) or host names with A/AAAA records, not aliases.`
          : targets.length === 1
            ? `The MX target ${targets[0]!.name} is a host name with A/AAAA records, not an alias or an IP literal.`
            : `All ${plural(targets.length, 'MX target')} are host names with A/AAAA records, not aliases or IP literals.`,
      ),
    );
  },
};
