import { Status } from '../model/status.js';
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
    const explicit = dns.mx.filter((t) => !t.implicit);
    if (explicit.length > 0) {
      return [
        okState(NAME, obs, `${domain} publishes ${plural(explicit.length, 'MX record')}.`, {
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
    if (err && isLookupFailure(err.code)) {
      return [
        finding(NAME, {
          status: Status.UNKNOWN,
          code: 'smtp.mx.lookup_failed',
          subject: domain,
          message: `Could not look up the MX records of ${domain}: the lookup failed with ${err.code} (${err.message}).`,
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
          message: `${domain} does not exist (NXDOMAIN), so it cannot receive mail.`,
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
