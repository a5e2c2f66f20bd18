import type { EndpointProbe } from '../model/observation.js';
import { Status, type CheckState } from '../model/status.js';
import { overCap } from '../model/endpoint-state.js';
import { allEndpoints, endpointRule, finding, isLookupFailure, untestedSuffix } from './rule.js';

const NAME = 'smtp.reverse_dns';

const WHY =
  'Gmail, Outlook and Yahoo reject mail from hosts without forward-confirmed reverse DNS, and MX hosts usually send mail too';

function fix(e: EndpointProbe): string {
  const name = e.mx[0] ?? 'the MX host name';
  return `Ask the hosting provider (whoever owns ${e.address}) to set its PTR to ${name}, and keep A/AAAA records for ${name} that include ${e.address}.`;
}

function judge(e: EndpointProbe): CheckState | null {
  const r = e.reverse_dns;
  const meta = { mx: e.mx, address: e.address, ptr: r.ptr, forward: r.forward };
  const base = { subject: e.subject, meta };
  if (r.ptr.length === 0) {
    if (r.ptr_error && isLookupFailure(r.ptr_error.code)) {
      return finding(NAME, {
        ...base,
        status: Status.UNKNOWN,
        code: 'smtp.ptr.lookup_failed',
        message: `Could not look up the PTR record of ${e.address}: ${r.ptr_error.code} (${r.ptr_error.message}).`,
        fix:
          'Check that the reverse zone\'s name servers answer (e.g. "dig -x ' +
          e.address +
          '"), then run the check again.',
      });
    }
    const detail = r.ptr_error ? ` (${r.ptr_error.code})` : '';
    return finding(NAME, {
      ...base,
      status: Status.WARN,
      code: 'smtp.ptr.missing',
      message: `${e.address} has no PTR record${detail}. ${WHY}.`,
      fix: fix(e),
    });
  }
  if (r.fcrdns) return null;
  const forwards = r.forward.map((f) =>
    f.addresses.length > 0
      ? `${f.name} resolves to ${f.addresses.join(', ')}`
      : `${f.name} does not resolve${f.error ? ` (${f.error.code})` : ''}`,
  );
  if (
    r.forward.length > 0 &&
    r.forward.every((f) => f.addresses.length === 0 && f.error && isLookupFailure(f.error.code))
  ) {
    return finding(NAME, {
      ...base,
      status: Status.UNKNOWN,
      code: 'smtp.fcrdns.lookup_failed',
      message: `${e.address} has PTR ${r.ptr.join(', ')}, but its forward lookup failed (${forwards.join('; ')}), so forward confirmation could not be checked.`,
    });
  }
  const seen = forwards.length > 0 ? forwards.join('; ') : `${r.ptr.join(', ')} was not looked up`;
  return finding(NAME, {
    ...base,
    status: Status.WARN,
    code: 'smtp.fcrdns.mismatch',
    message: `The PTR of ${e.address} does not lead back to it: ${seen}. ${WHY}.`,
    fix: fix(e),
  });
}

export const reverseDns = endpointRule({
  name: NAME,
  description: 'Every endpoint address has a PTR record that resolves back to it (FCrDNS).',
  untestedCode: 'smtp.ptr.untested',
  what: 'reverse DNS',
  // PTR and FCrDNS are DNS facts: an endpoint we could not connect to still has them, unless it was
  // over the endpoint cap, where no PTR was asked either.
  judgesUnprobed: true,
  why: (e) => (overCap(e) ? e.error!.message : null),
  judge: (p) => p.judged.map(judge).filter((s): s is CheckState => s !== null),
  okMessage: (p) =>
    `${allEndpoints(p.judged, 'has a PTR record that resolves back to its', 'have a PTR record that resolves back to their')} address${untestedSuffix(p)}.`,
});
