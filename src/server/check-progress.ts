/**
 * The /check page's progress, one line per step a person cares about: the
 * DNS answer (how many endpoints), each endpoint done with its outcome in a
 * line, a retry, the egress check. The CLI's status line (cli/progress.ts)
 * reads the same collect events; phases inside a dialogue are left out here,
 * because a page that only appends would list every one of them.
 */
import type { ProgressEvent } from '../collect/collect.js';
import type { EndpointProbe } from '../model/observation.js';
import { plural } from '../model/text.js';
import { summaryRow } from '../presentation/endpoint-view.js';

/** An endpoint's outcome in one line: reachable or why not, then the greeting, TLS, PTR and relay cells of the report. */
export function endpointOutcome(ep: EndpointProbe, domain: string): string {
  const row = summaryRow(ep, 0, [], domain);
  const where = `${ep.subject}${row.mx ? ` (${row.mx})` : ''}`;
  // The report's cell reads "no: refused" under its "Reachable" heading; a line needs the word.
  if (!ep.connected) return `${where}: not reachable (${row.reachable.text.replace(/^no: /, '')})`;
  const parts = [
    `greeting ${row.greeting.text}`,
    `TLS ${row.tls.text}`,
    `PTR ${row.ptrBrief.text}`,
    row.openRelay ? 'OPEN RELAY' : `relay ${row.relay.text}`,
  ];
  return `${where}: ${parts.join('; ')}`;
}

/** The line a collect event adds to the page; null for events the page does not list. */
export function progressText(event: ProgressEvent, domain: string): string | null {
  switch (event.type) {
    case 'dns': {
      const mx = event.dns.mx.map((m) => m.name);
      const names = mx.length > 0 ? ` (MX: ${mx.join(', ')})` : '';
      return event.endpoints.length === 0
        ? `DNS done: no endpoint to probe${names}.`
        : `DNS done: ${plural(event.endpoints.length, 'endpoint')} to probe${names}.`;
    }
    case 'endpoint-done':
      return endpointOutcome(event.endpoint, domain);
    case 'endpoint-retry':
      return `${event.subject}: trying again.`;
    case 'egress-check':
      return 'No endpoint answered: checking whether this checker can reach port 25 at all…';
    case 'endpoint-phase':
      return null;
  }
}
