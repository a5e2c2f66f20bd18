/**
 * Reading what we expose the way Prometheus does: parsed by an exposition
 * parser (parse-prometheus-text-format, a port of the official Python
 * client's parser), and, where Debian's `prometheus` package is installed,
 * linted by Prometheus' own `promtool check metrics`.
 */
import { spawnSync } from 'node:child_process';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';

export type { PrometheusFamily };

export function parseExposition(text: string): PrometheusFamily[] {
  return parsePrometheusTextFormat(text);
}

/** The value of one series: the family by name, the sample whose labels include `labels`. */
export function sampleValue(
  families: readonly PrometheusFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const family = families.find((f) => f.name === name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample === undefined ? undefined : Number(sample.value);
}

export const PROMTOOL = 'promtool';

/** Whether promtool runs here (Debian package `prometheus`). */
export function promtoolMissing(): string[] {
  const r = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? ['promtool not installed'] : [];
}

/** `promtool check metrics` on the text: its complaints (empty when the exposition is clean). */
export function promtoolProblems(text: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}
