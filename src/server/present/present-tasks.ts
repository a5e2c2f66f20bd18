/**
 * Everything the service does after a collect, as plain tasks over one
 * observation: evaluate the rules, render the HTML report, extract the
 * metrics, render the /check result page. Pure and synchronous: the same
 * code runs inline for a small observation and in a worker thread for a
 * large one (presenter.ts), and gives the same answer either way.
 */
import type { Observation } from '../../model/observation.js';
import type { CheckMetric } from '../../model/protocol.js';
import type { CheckState } from '../../model/status.js';
import { renderReport } from '../../presentation/html/render-report.js';
import { metricsOf } from '../../presentation/metrics.js';
import { evaluate } from '../../rules/index.js';
import { checkResultHtml, checkResultPage, type FormValues } from '../check-page.js';

type Related = Readonly<Record<string, readonly unknown[]>>;

export type PresentTask =
  | { kind: 'evaluate'; enabledRules?: Readonly<Record<string, boolean>>; related?: Related }
  | { kind: 'report-html'; states?: readonly CheckState[]; related?: Related }
  | { kind: 'report-metrics'; states?: readonly CheckState[]; related?: Related }
  | { kind: 'check-page'; values: FormValues; needsToken: boolean; probeAddress: boolean }
  /** The result part of the streamed /check page: report, rule states, metrics. */
  | { kind: 'check-result' };

export interface PresentResults {
  evaluate: CheckState[];
  'report-html': string;
  'report-metrics': CheckMetric[];
  'check-page': string;
  'check-result': string;
}

export type PresentResult<K extends PresentTask['kind']> = PresentResults[K];

/** The states a report shows: the host's when it sent them, evaluated afresh otherwise. */
function statesFor(obs: Observation, given: readonly CheckState[] | undefined, related: Related | undefined) {
  return given ?? evaluate(obs, related ? { related } : {});
}

export function runPresentTask<T extends PresentTask>(obs: Observation, task: T): PresentResult<T['kind']>;
export function runPresentTask(obs: Observation, task: PresentTask): PresentResults[PresentTask['kind']] {
  switch (task.kind) {
    case 'evaluate':
      return evaluate(obs, {
        ...(task.enabledRules ? { enabledRules: task.enabledRules } : {}),
        ...(task.related ? { related: task.related } : {}),
      });
    case 'report-html': {
      const states = statesFor(obs, task.states, task.related);
      return renderReport(obs, { states, ...(task.related ? { related: task.related } : {}) });
    }
    case 'report-metrics':
      return metricsOf(obs, statesFor(obs, task.states, task.related));
    case 'check-page': {
      const states = evaluate(obs);
      const metrics = metricsOf(obs, states);
      return checkResultPage({
        values: task.values,
        obs,
        states,
        metrics,
        needsToken: task.needsToken,
        probeAddress: task.probeAddress,
      });
    }
    case 'check-result': {
      const states = evaluate(obs);
      return checkResultHtml({ obs, states, metrics: metricsOf(obs, states) });
    }
  }
}
