/**
 * Live progress on a terminal: one status line, rewritten in place, saying
 * what each endpoint is doing. Only used when stderr is a TTY.
 */
import type { ProgressEvent } from '../collect/collect.js';

const CLEAR_LINE = '\r\x1b[2K';

export interface Progress {
  update: (event: ProgressEvent) => void;
  done: () => void;
}

export function createProgress(out: NodeJS.WritableStream & { columns?: number }): Progress {
  const phases = new Map<string, string>();
  let total = 0;
  let finished = 0;
  let egress = false;
  const draw = () => {
    const active = [...phases.entries()].map(([subject, phase]) => `${subject} ${phase}`).join(', ');
    const line = egress
      ? 'No endpoint answered: checking whether this machine can reach port 25 at all…'
      : total === 0
        ? 'Resolving MX records…'
        : `Probing ${total} endpoint${total === 1 ? '' : 's'} (${finished} done)${active ? `: ${active}` : ''}`;
    const width = (out.columns || 100) - 1; // a pty may report 0 columns
    out.write(`${CLEAR_LINE}${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
  };
  draw();
  return {
    update(event) {
      if (event.type === 'dns') total = event.endpoints.length;
      else if (event.type === 'endpoint-phase') phases.set(event.subject, event.phase.replace('_', ' '));
      else if (event.type === 'endpoint-retry') {
        // Done once already; its second attempt counts when it is done again.
        finished--;
        phases.set(event.subject, 'waiting to try again');
      } else if (event.type === 'egress-check') egress = true;
      else {
        phases.delete(event.endpoint.subject);
        finished++;
      }
      draw();
    },
    done() {
      out.write(CLEAR_LINE);
    },
  };
}
