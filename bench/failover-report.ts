/**
 * The failover benchmark's results and how they are printed: one row per origin kill, then the
 * median and the worst of each column, the failed runs with their reasons, and the target.
 */
import { EDGE_NAMES, type EdgeName, type OriginName } from '../test-support/cluster.js';
import { cell, max, median } from './bench-report.js';

/** Issue 9: viewers get new segments within this long of the publisher's reconnect. */
export const VIEWERS_BACK_TARGET_MS = 5_000;

export interface FailoverRun {
  run: number;
  killed: OriginName;
  /** (a) Kill to HAProxy marking the killed origin DOWN, ms. */
  downMs: number | undefined;
  /** (b) Kill to the publisher live on the other origin (its log's "publish started"), ms. */
  liveMs: number | undefined;
  /** (c) Kill to the first segment made after the kill that each edge serves, ms. */
  edgeMs: Record<EdgeName, number | undefined>;
  /** ffmpeg starts from the kill to the one that went live (the refused ones included). */
  publisherStarts: number;
  /** Why a wait gave up; empty when every figure was measured. */
  failures: string[];
}

/** (c) − (b): the publisher's reconnect to new segments at `edge`, ms. */
function reconnectToEdgeMs(run: FailoverRun, edge: EdgeName): number | undefined {
  const edgeMs = run.edgeMs[edge];
  return edgeMs === undefined || run.liveMs === undefined ? undefined : edgeMs - run.liveMs;
}

export function metTarget(run: FailoverRun): boolean {
  return EDGE_NAMES.every((edge) => {
    const ms = reconnectToEdgeMs(run, edge);
    return ms !== undefined && ms <= VIEWERS_BACK_TARGET_MS;
  });
}

interface Column {
  title: string;
  value: (run: FailoverRun) => number | undefined;
  digits: number;
}

/** Times in seconds. */
const COLUMNS: Column[] = [
  { title: 'kill→down (a)', value: (r) => seconds(r.downMs), digits: 2 },
  { title: 'kill→live (b)', value: (r) => seconds(r.liveMs), digits: 2 },
  ...EDGE_NAMES.map((edge) => ({ title: `kill→${edge} (c)`, value: (r: FailoverRun) => seconds(r.edgeMs[edge]), digits: 2 })),
  ...EDGE_NAMES.map((edge) => ({ title: `live→${edge} (c−b)`, value: (r: FailoverRun) => seconds(reconnectToEdgeMs(r, edge)), digits: 2 })),
  { title: 'ffmpeg starts', value: (r) => r.publisherStarts, digits: 0 },
];

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}

export function renderFailoverTable(runs: readonly FailoverRun[]): string {
  const widths = COLUMNS.map((c) => c.title.length + 2);
  const row = (first: string, second: string, cells: string[]) => [first.padStart(6), second.padEnd(9), ...cells].join(' ');
  const header = row('run', 'killed', COLUMNS.map((c, i) => c.title.padStart(widths[i]!)));
  const lines = [header, '-'.repeat(header.length)];
  for (const run of runs) {
    lines.push(row(String(run.run), run.killed, COLUMNS.map((c, i) => cell(c.value(run), c.digits, widths[i]!))));
  }
  lines.push('-'.repeat(header.length));
  const column = (c: Column) => runs.map(c.value).filter((value): value is number => value !== undefined);
  lines.push(row('median', '', COLUMNS.map((c, i) => cell(median(column(c)), c.digits, widths[i]!))));
  lines.push(row('worst', '', COLUMNS.map((c, i) => cell(max(column(c)), c.digits, widths[i]!))));
  return lines.join('\n');
}

export function renderFailures(runs: readonly FailoverRun[]): string {
  const failed = runs.filter((run) => run.failures.length > 0);
  if (failed.length === 0) return 'every figure of every run was measured';
  return ['runs with a figure missing (shown as -):', ...failed.map((run) => `  run ${run.run}: ${run.failures.join('; ')}`)].join('\n');
}

export function renderTarget(runs: readonly FailoverRun[]): string {
  const met = runs.filter(metTarget).length;
  return `viewers back within ${VIEWERS_BACK_TARGET_MS / 1000} s of the publisher's reconnect: met in ${met}/${runs.length} runs`;
}
