import type { EndpointProbe, Observation } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { allEndpoints, endpointRule, finding, plural } from './rule.js';
import { cutShort, skippedByChoice } from '../model/endpoint-state.js';
import { egressBlocked, egressEvidence, ipv6Untestable } from './unprobed.js';

const NAME = 'smtp.endpoint_reachable';

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
    // Left out by the user's choice (-4, -6): neither reachable nor not; ipv6_reachable says IPv6 was not tested.
    if (skippedByChoice(e)) continue;
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
    const notDialled = e.error?.code === 'policy.capped' || e.error?.code === 'queue.timeout';
    if (!e.connected && notDialled) {
      out.push(
        finding(NAME, {
          status: Status.UNKNOWN,
          code: 'smtp.endpoint.not_probed',
          subject: e.subject,
          message: `${e.subject} (${e.mx.join(', ')}) was ${e.error!.message}. This says nothing about the server.`,
          fix:
            e.error!.code === 'policy.capped'
              ? 'Run the checker with a higher endpoint cap (--max-endpoints) to probe every address.'
              : 'Run the check again later, when the checker is less busy.',
          meta,
        }),
      );
      continue;
    }
    if (cutShort(e)) {
      // Connected before the cut: reachable, and nothing more to say here.
      if (!e.connected)
        out.push(
          finding(NAME, {
            status: Status.UNKNOWN,
            code: 'smtp.endpoint.not_probed',
            subject: e.subject,
            message: `${e.subject} (${e.mx.join(', ')}) was ${e.error!.message}. This says nothing about the server.`,
            fix: 'Run the check again, with more time (a longer deadline) if it ran out.',
            meta,
          }),
        );
      continue;
    }
    if (egressBlocked(e, obs)) {
      out.push(
        finding(NAME, {
          status: Status.UNKNOWN,
          code: 'smtp.endpoint.egress_blocked',
          subject: e.subject,
          message: `Could not test ${e.subject} (${e.mx.join(', ')}): this machine cannot reach port 25 anywhere (the egress check failed too: ${egressEvidence(obs)}); many ISPs and clouds block it. This says nothing about the server.`,
          fix: 'Run the check from a host allowed to send on port 25 (a server whose provider allows outbound SMTP), or ask your provider to unblock outbound port 25.',
          meta: { ...meta, egress: obs.egress },
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
  const listed = obs.endpoints.filter((e) => e.error?.code === 'policy.capped').length;
  const unlisted = obs.caps.endpoints_over_cap - listed;
  if (unlisted > 0) {
    out.push(
      finding(NAME, {
        status: Status.UNKNOWN,
        code: 'smtp.endpoint.not_probed',
        subject: obs.domain,
        message: `${plural(unlisted, 'more address', 'more addresses')} of ${obs.domain}'s MX hosts ${unlisted === 1 ? 'was' : 'were'} not probed either: over the cap of ${obs.caps.max_endpoints} endpoints per check (${plural(obs.caps.endpoints_over_cap, 'address', 'addresses')} over it in all; the DNS facts list them). This says nothing about them.`,
        fix: 'Run the checker with a higher endpoint cap (--max-endpoints) to probe every address.',
        meta: { endpoints_over_cap: obs.caps.endpoints_over_cap, max_endpoints: obs.caps.max_endpoints },
      }),
    );
  }
  if (countable > 0 && unreachable === countable) {
    out.push(
      finding(NAME, {
        status: Status.CRIT,
        code: 'smtp.all_unreachable',
        subject: obs.domain,
        message: `No endpoint of ${obs.domain} accepts connections (${plural(countable, 'endpoint')} tried): the domain cannot receive mail.${egressNote(obs)}`,
        fix: 'Start the mail server and open inbound TCP port 25 to it, or publish MX records pointing at servers that accept mail.',
      }),
    );
  }
  return out;
}

/** What the egress check said, when it ran and found port 25 open here, or could not tell. */
function egressNote(obs: Observation): string {
  if (obs.egress?.outcome === 'reachable')
    return ` This machine does reach port 25 elsewhere (${egressEvidence(obs)}), so the problem is on the domain's side.`;
  if (obs.egress?.outcome === 'unknown')
    return ` Whether this machine can reach port 25 at all could not be told (${egressEvidence(obs)}).`;
  return '';
}

export const endpointReachable = endpointRule({
  name: NAME,
  description: 'Every MX endpoint accepts a TCP connection on port 25.',
  untestedCode: 'smtp.endpoint.untested',
  what: 'reachability',
  judgesUnprobed: true,
  why: () => null,
  judge: (_p, obs) => judge(obs),
  okMessage: (p, obs) => `${allEndpoints(p.judged, 'accepts', 'accept')} TCP connections on port ${obs.options.port}.`,
});
