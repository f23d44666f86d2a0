/**
 * Restream benchmark results and how they are printed: one table row per target count, our
 * origin's pushes next to ffmpeg relays with the ratio, then per-round details.
 */
import { cell, MB } from './bench-report.js';

export type RestreamSide = 'ours' | 'ffmpeg';

export interface RestreamRoundResult {
  side: RestreamSide;
  /** Targets per stream; 0 is our origin's baseline (ingest and HLS only). */
  targets: number;
  windowSeconds: number;
  /** Our origin, or all relays together: CPU over the window, % of one core. */
  cpuPercent: number;
  /** The part of cpuPercent spent in the kernel (stime). */
  systemCpuPercent: number;
  /** Our origin's, or the relays' summed, VmRSS: mean of the samples taken during the window. */
  rssMeanBytes: number;
  /** Likewise of the memory no other process shares (see privateBytes in proc-stats.ts). */
  privateMeanBytes: number;
  publisherCpuPercent: number;
  /** The receiver of both sides, which is also the ffmpeg side's source. */
  receiverCpuPercent: number;
  /** Whole machine, % of all cores. */
  machineBusyPercent: number;
  /** What the receiver took in per push over the window, bits/s. */
  deliveredBps: number[];
  /** Ours: targets the API shows `live`; ffmpeg: relays still running. */
  pushesUp: number;
  /** Ours: keyframe skips the pushes reported (a push fell behind). */
  skippedKeyframes: number | undefined;
  problems: string[];
}

interface Row {
  targets: number;
  ours: RestreamRoundResult | undefined;
  ffmpeg: RestreamRoundResult | undefined;
  baseline: RestreamRoundResult | undefined;
}

/** The pushes' share of our origin's CPU: what it uses beyond the same publish with no targets. */
function oursPushCpu(row: Row): number | undefined {
  return row.ours && row.baseline && row.targets > 0 ? row.ours.cpuPercent - row.baseline.cpuPercent : undefined;
}

/** Likewise for memory, in MB. */
function oursPushRss(row: Row): number | undefined {
  return row.ours && row.baseline && row.targets > 0 ? (row.ours.rssMeanBytes - row.baseline.rssMeanBytes) / MB : undefined;
}

const per = (value: number | undefined, count: number) => (value === undefined || count === 0 ? undefined : value / count);
const megabytes = (bytes: number | undefined) => (bytes === undefined ? undefined : bytes / MB);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b <= 0 ? '-' : `${(a / b).toFixed(2)}x`;

interface Column {
  title: string;
  width: number;
  text: (row: Row) => string;
}

const number = (digits: number, width: number, value: (row: Row) => number | undefined) => (row: Row) => cell(value(row), digits, width);

const relayCpu = (r: Row) => per(r.ffmpeg?.cpuPercent, r.targets);
const relayPrivate = (r: Row) => per(megabytes(r.ffmpeg?.privateMeanBytes), r.targets);

const COLUMNS: Column[] = [
  { title: 'targets', width: 7, text: (r) => String(r.targets).padStart(7) },
  { title: 'origin CPU %', width: 12, text: number(1, 12, (r) => r.ours?.cpuPercent) },
  { title: 'pushes CPU %', width: 12, text: number(1, 12, oursPushCpu) },
  { title: 'CPU %/push', width: 10, text: number(2, 10, (r) => per(oursPushCpu(r), r.targets)) },
  { title: 'relays CPU %', width: 12, text: number(1, 12, (r) => r.ffmpeg?.cpuPercent) },
  { title: 'CPU %/relay', width: 11, text: number(2, 11, relayCpu) },
  { title: 'CPU ours/ffmpeg', width: 15, text: (r) => ratio(per(oursPushCpu(r), r.targets), relayCpu(r)).padStart(15) },
  { title: 'origin RSS MB', width: 13, text: number(1, 13, (r) => megabytes(r.ours?.rssMeanBytes)) },
  { title: '+RSS MB/push', width: 12, text: number(2, 12, (r) => per(oursPushRss(r), r.targets)) },
  { title: 'RSS MB/relay', width: 12, text: number(2, 12, (r) => per(megabytes(r.ffmpeg?.rssMeanBytes), r.targets)) },
  { title: 'private MB/relay', width: 16, text: number(2, 16, relayPrivate) },
  {
    title: 'mem ours/ffmpeg',
    width: 15,
    // A delta at or below zero is the origin's run-to-run RSS spread, not a saving.
    text: (r) => {
      const push = per(oursPushRss(r), r.targets);
      return (push !== undefined && push > 0 ? ratio(push, relayPrivate(r)) : '-').padStart(15);
    },
  },
];

export function renderRestreamTable(results: readonly RestreamRoundResult[]): string {
  const baseline = results.find((r) => r.side === 'ours' && r.targets === 0);
  const counts = [...new Set(results.map((r) => r.targets))].sort((a, b) => a - b);
  const rows: Row[] = counts.map((targets) => ({
    targets,
    ours: results.find((r) => r.side === 'ours' && r.targets === targets),
    ffmpeg: results.find((r) => r.side === 'ffmpeg' && r.targets === targets),
    baseline,
  }));
  const header = COLUMNS.map((c) => c.title.padStart(c.width)).join(' ');
  return [
    header,
    '-'.repeat(header.length),
    ...rows.map((row) => COLUMNS.map((c) => c.text(row)).join(' ')),
    '',
    '+RSS MB/push spreads any one-off cost of the first push over N; origin RSS also differs by a few MB between runs of the same load (V8 heap sizing).',
    'A relay\'s own memory is its private MB (VmRSS also counts the ffmpeg libraries every relay shares), so mem ours/ffmpeg compares with that.',
  ].join('\n');
}

const mbps = (bps: number) => `${(bps / 1e6).toFixed(2)}`;

export function renderRestreamDetails(results: readonly RestreamRoundResult[]): string {
  return results
    .map((r) => {
      const who = r.side === 'ours' ? 'origin' : 'relays';
      const parts = [
        `${who} CPU ${r.cpuPercent.toFixed(1)} % = user ${(r.cpuPercent - r.systemCpuPercent).toFixed(1)} + kernel ${r.systemCpuPercent.toFixed(1)}`,
      ];
      if (r.targets > 0) {
        const delivered = r.deliveredBps.length > 0 ? `${mbps(Math.min(...r.deliveredBps))}-${mbps(Math.max(...r.deliveredBps))} Mb/s` : 'nothing';
        parts.push(`receiver got ${delivered} per push`);
        parts.push(r.side === 'ours' ? `live ${r.pushesUp}/${r.targets}, keyframe skips ${r.skippedKeyframes ?? '-'}` : `relays running ${r.pushesUp}/${r.targets}`);
      }
      parts.push(`publisher CPU ${r.publisherCpuPercent.toFixed(1)} %`, `receiver CPU ${r.receiverCpuPercent.toFixed(1)} %`, `machine busy ${r.machineBusyPercent.toFixed(0)} %`);
      const problems = r.problems.length > 0 ? `\n    PROBLEMS: ${r.problems.join('; ')}` : '';
      return `  ${r.side} x${r.targets}: ${parts.join('; ')}${problems}`;
    })
    .join('\n');
}
