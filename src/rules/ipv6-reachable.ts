import { Status } from '../model/status.js';
import { endpointRule, finding, plural } from './rule.js';
import { notProbedReason } from './unprobed.js';

const NAME = 'smtp.ipv6_reachable';

export const ipv6Reachable = endpointRule({
  name: NAME,
  description: 'At least one MX endpoint is reachable over IPv6.',
  untestedCode: 'smtp.ipv6.untested',
  what: 'IPv6 reachability',
  judgesUnprobed: true,
  why: () => null,
  judge: (_p, obs) => {
    const v6 = obs.endpoints.filter((e) => e.family === 6);
    const subject = obs.domain;
    if (obs.options.address_family === 4) {
      return [
        finding(NAME, {
          status: Status.INFO,
          code: 'smtp.ipv6.skipped',
          subject,
          message: `IPv6 not tested (-4): only IPv4 endpoints were probed${v6.length > 0 ? ` (${plural(v6.length, 'IPv6 endpoint')} left out)` : ''}, so whether IPv6-only senders can deliver was not checked.`,
          meta: { endpoints: v6.map((e) => e.subject) },
        }),
      ];
    }
    if (v6.length === 0) {
      return [
        finding(NAME, {
          status: Status.INFO,
          code: 'smtp.ipv6.none',
          subject,
          message: `No MX host of ${obs.domain} has an IPv6 address: IPv6-only senders cannot deliver to it.`,
          fix: 'Publish AAAA records for the MX hosts (and a PTR for each IPv6 address), with the MTA listening on IPv6 (Postfix "inet_protocols = all").',
        }),
      ];
    }
    if (v6.some((e) => e.connected)) return [];
    if (v6.every((e) => e.error?.code === 'policy.refused')) {
      return [
        finding(NAME, {
          status: Status.UNKNOWN,
          code: 'smtp.ipv6.untestable',
          subject,
          message: `The IPv6 endpoints were not probed (refused by this checker's target policy), so IPv6 reachability is unknown.`,
          meta: { endpoints: v6.map((e) => e.subject) },
        }),
      ];
    }
    const meta = { endpoints: v6.map((e) => e.subject) };
    if (v6.every((e) => e.error?.code === 'connect.unreachable') && obs.egress?.outcome !== 'blocked') {
      return [
        finding(NAME, {
          status: Status.UNKNOWN,
          code: 'smtp.ipv6.untestable',
          subject,
          message: `The checker has no IPv6 route, so ${v6.length === 1 ? 'the IPv6 endpoint' : `the ${v6.length} IPv6 endpoints`} could not be tested; this says nothing about the domain.`,
          meta,
        }),
      ];
    }
    const reasons = [...new Set(v6.map((e) => notProbedReason(e, obs)))];
    if (reasons.every((r) => r !== null)) {
      return [
        finding(NAME, {
          status: Status.UNKNOWN,
          code: 'smtp.ipv6.untestable',
          subject,
          message: `IPv6 reachability could not be tested (${reasons.join('; ')}); this says nothing about the domain.`,
          meta,
        }),
      ];
    }
    return [
      finding(NAME, {
        status: Status.INFO,
        code: 'smtp.ipv6.unreachable',
        subject,
        message: `No IPv6 endpoint accepted a connection (${plural(v6.length, 'IPv6 endpoint')} tried): IPv6-only senders cannot deliver (see smtp.endpoint_reachable).`,
        fix: 'Make the MTA listen on IPv6 (Postfix "inet_protocols = all", Exim local_interfaces) and open port 25 in the IPv6 firewall, or remove the AAAA records.',
        meta,
      }),
    ];
  },
  okMessage: (_p, obs) => {
    const v6 = obs.endpoints.filter((e) => e.family === 6);
    const up = v6.filter((e) => e.connected).length;
    if (v6.length === 1) return `IPv6 works: ${v6[0]!.subject} accepts connections.`;
    return `IPv6 works: ${up} of ${v6.length} IPv6 endpoints accept connections.`;
  },
});
