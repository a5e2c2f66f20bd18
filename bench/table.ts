/**
 * The bench's one result table: measured value, target, pass/fail per row,
 * plain text so it pastes into the README as is.
 */
import os from 'node:os';

export interface Row {
  section: string;
  metric: string;
  value: string;
  /** What the issue asks for; "report" when there is no bound, only a figure. */
  target: string;
  /** null: a reported figure with no pass/fail. */
  pass: boolean | null;
}

export function machineDescription(): string[] {
  const cpus = os.cpus();
  return [
    `CPU: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    `Node ${process.version}, ${os.type()} ${os.release()} (${os.arch()}), ${Math.round(os.totalmem() / 2 ** 20)} MiB RAM`,
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  ];
}

export function formatTable(rows: Row[]): string {
  const head = ['section', 'metric', 'measured', 'target', 'result'];
  const body = rows.map((r) => [
    r.section,
    r.metric,
    r.value,
    r.target,
    r.pass === null ? 'report' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
