import type { EndpointProbe, Observation } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { allEndpoints, endpointRule, finding, plural } from './rule.js';

const NAME = 'smtp.endpoint_reachable';

/**
 * IPv6 endpoints the checker itself cannot reach: every IPv6 endpoint failed
 * with "no route", which says more about the checker's network than the domain.
 */
export function ipv6Untestable(obs: Observation): Set<EndpointProbe> {
  const v6 = obs.endpoints.filter((e) => e.family === 6);
  const noRoute = (e: EndpointProbe) => !e.connected && e.error?.code === 'connect.unreachable';
  return new Set(v6.length > 0 && v6.every(noRoute) ? v6 : []);
}

function why(e: EndpointProbe, port: number): string {
  switch (e.error?.code) {
    case 'connect.refused':
      return `refused the connection on port ${port} (nothing listens there, or a firewall rejects it)`;
    case 'connect.timeout':
      return `did not answer on port ${port}: the connection timed out (a firewall dropping packets, or the host is down)`;
    case 'connect.unreachable':
      return `could not be reached on port ${port}: there is no route to the address`;
    default:
      return `could not be reached on port ${port}${e.error ? `: ${e.error.message}` : ''}`;
  }
}

function judge(obs: Observation): CheckState[] {
  const untestable = ipv6Untestable(obs);
  const out: CheckState[] = [];
  let countable = 0;
  let unreachable = 0;
  for (const e of obs.endpoints) {
    const meta = { mx: e.mx, address: e.address, error: e.error };
    if (!e.connected && e.error?.code === 'policy.refused') {
      out.push(
        finding(NAME, {
          status: Status.UNKNOWN,
          code: 'smtp.endpoint.refused',
          subject: e.subject,
          message: `${e.subject} (${e.mx.join(', ')}) was ${e.error.message}. This says nothing about the server.`,
          fix: 'Publish MX hosts with public addresses; to test private ones, run the checker inside that network or start the service with --allow-private-targets.',
          meta,
        }),
      );
      continue;
    }
    if (untestable.has(e)) {
      out.push(
        finding(NAME, {
          status: Status.UNKNOWN,
          code: 'smtp.endpoint.untestable',
          subject: e.subject,
          message: `Could not test ${e.subject}: the checker has no IPv6 route (${e.error?.message ?? 'network unreachable'}), so this says nothing about the server.`,
          meta,
        }),
      );
      continue;
    }
    countable++;
    if (e.connected) continue;
    unreachable++;
    out.push(
      finding(NAME, {
        status: Status.CRIT,
        code: 'smtp.endpoint.unreachable',
        subject: e.subject,
        message: `${e.subject} (${e.mx.join(', ')}) ${why(e, e.port)}.`,
        fix: `Make sure the MTA listens on ${e.address} port ${e.port} and that no firewall or provider blocks inbound port ${e.port}; otherwise remove this address from the MX host's A/AAAA records.`,
        meta,
      }),
    );
  }
  if (countable > 0 && unreachable === countable) {
    out.push(
      finding(NAME, {
        status: Status.CRIT,
        code: 'smtp.all_unreachable',
        subject: obs.domain,
        message: `No endpoint of ${obs.domain} accepts connections (${plural(countable, 'endpoint')} tried): the domain cannot receive mail.`,
        fix: 'Start the mail server and open inbound TCP port 25 to it, or publish MX records pointing at servers that accept mail.',
      }),
    );
  }
  return out;
}

export const endpointReachable = endpointRule({
  name: NAME,
  description: 'Every MX endpoint accepts a TCP connection on port 25.',
  untestedCode: 'smtp.endpoint.untested',
  what: 'reachability',
  why: () => null,
  judge: (_p, obs) => judge(obs),
  okMessage: (p, obs) => `${allEndpoints(p.judged, 'accepts', 'accept')} TCP connections on port ${obs.options.port}.`,
});
