/**
 * What the checker found out about its own network and its own run: the
 * egress check (can this machine reach port 25 at all?), and whether the
 * check was cut short. Both explain endpoint results that are not the
 * domain's doing, so the reports show them beside those results.
 */
import type { EgressCanaryResult, Observation } from '../model/observation.js';
import { plural, sanitize } from '../model/text.js';
import { duration, type Tone } from './wording.js';

export interface EgressView {
  /** One sentence: what the check concluded. */
  verdict: { text: string; tone: Tone };
  /** One line per canary: what dialling it gave. */
  canaries: string[];
}

const OUTCOME_WORDS: Record<EgressCanaryResult['outcome'], string> = {
  connected: 'connected',
  timeout: 'timed out',
  unreachable: 'no route',
  refused: 'refused (RST)',
  error: 'failed',
  unresolved: 'not resolved',
  cancelled: 'not dialled (cut short)',
};

function canaryLine(c: EgressCanaryResult): string {
  const where = `${sanitize(c.host)}${c.address && c.address !== c.host ? ` (${sanitize(c.address)})` : ''} port ${c.port}`;
  const connect = c.connect_ms !== null ? ` in ${duration(c.connect_ms)}` : '';
  const greeting = c.greeting !== null ? `, greeting "${sanitize(c.greeting)}"` : '';
  const error = c.error !== null ? `: ${sanitize(c.error)}` : '';
  return `${where}: ${OUTCOME_WORDS[c.outcome]}${connect}${greeting}${error}`;
}

/** The egress check as the reports show it; null when it did not run (the common case). */
export function egressView(obs: Observation): EgressView | null {
  const egress = obs.egress;
  if (!egress) return null;
  const verdict =
    egress.outcome === 'reachable'
      ? {
          text: "This machine reaches port 25 elsewhere: the endpoints' failures are on the domain's side.",
          tone: 'ok' as const,
        }
      : egress.outcome === 'blocked'
        ? {
            text: 'This machine cannot reach port 25 anywhere: the endpoints could not be tested from here (many ISPs and clouds block outbound port 25).',
            tone: 'warn' as const,
          }
        : {
            text: 'Whether this machine can reach port 25 could not be told: no canary could be dialled.',
            tone: 'muted' as const,
          };
  return { verdict, canaries: egress.canaries.map(canaryLine) };
}

/** "The check was cut short after 3.2 s (the check was cancelled): 2 endpoints were not probed."; null when it ran to the end. */
export function cutNote(obs: Observation): string | null {
  if (!obs.cut) return null;
  const notProbed = obs.endpoints.filter((e) => !e.connected && e.error?.code === obs.cut!.reason).length;
  const cutShort = obs.endpoints.filter((e) => e.connected && e.error?.code === obs.cut!.reason).length;
  const parts = [
    ...(notProbed > 0 ? [`${plural(notProbed, 'endpoint was', 'endpoints were')} not probed`] : []),
    ...(cutShort > 0 ? [`${plural(cutShort, 'dialogue was', 'dialogues were')} cut short`] : []),
  ];
  return `The check was cut short after ${duration(obs.cut.after_ms)} (${sanitize(obs.cut.message)})${parts.length > 0 ? `: ${parts.join(', ')}` : ''}; what was cut is marked as not tested.`;
}
