/**
 * Round results and how they are printed: one table row per server and stream count, a ratio row
 * (ours / nginx) when both ran, then per-round details and the targets.
 */
import type { OriginStats, ServerKind } from './bench-servers.js';

export interface RoundResult {
  server: ServerKind;
  streams: number;
  windowSeconds: number;
  /** Server processes' CPU over the window, % of one core. */
  cpuPercent: number;
  /** The part of cpuPercent spent in the kernel (stime). */
  systemCpuPercent: number;
  /** Highest summed VmRSS of the server's processes sampled during the window. */
  rssPeakBytes: number;
  /** VmRSS before any publisher connected. */
  rssIdleBytes: number;
  /** All ffmpeg publishers together, % of one core. */
  ffmpegCpuPercent: number;
  /** This benchmark process (RTMP relays, playlist watching), % of one core. */
  benchCpuPercent: number;
  /** Whole machine, % of all cores. */
  machineBusyPercent: number;
  /** Segment delays seen through inotify, ms. */
  seenDelaysMs: number[];
  /** Segment delays from the playlist's ctime, ms. */
  renamedDelaysMs: number[];
  /** Every measured segment, for a closer look (written to .run/bench/last-run.json). */
  samples: Array<{ stream: string; mediaSequence: number; sentAt: number; seenMs: number; renamedMs: number }>;
  unmatchedSegments: number;
  /** Fewest delay samples any one stream gave. */
  fewestSamplesPerStream: number;
  /** Largest spread of a publisher's keyframe send times around the ideal `-re` line, ms. */
  pacingSpreadMs: number | undefined;
  originStats: OriginStats | undefined;
  problems: string[];
}

export const MB = 1024 * 1024;

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile, `p` in 0-100. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function max(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : Math.max(...values);
}

interface Column {
  title: string;
  width: number;
  value: (row: RoundResult) => number | undefined;
  digits: number;
}

const COLUMNS: Column[] = [
  { title: 'CPU %', width: 8, value: (r) => r.cpuPercent, digits: 1 },
  { title: 'CPU %/stream', width: 13, value: (r) => r.cpuPercent / r.streams, digits: 2 },
  { title: 'RSS MB', width: 8, value: (r) => r.rssPeakBytes / MB, digits: 1 },
  { title: 'RSS MB/stream', width: 14, value: (r) => r.rssPeakBytes / MB / r.streams, digits: 2 },
  { title: '+RSS MB/stream', width: 15, value: (r) => Math.max(0, r.rssPeakBytes - r.rssIdleBytes) / MB / r.streams, digits: 2 },
  { title: 'delay p50 ms', width: 13, value: (r) => median(r.seenDelaysMs), digits: 1 },
  { title: 'delay max ms', width: 13, value: (r) => max(r.seenDelaysMs), digits: 1 },
];

/** A right-aligned table cell: `value` to `digits` decimals, `-` when there is none. */
export function cell(value: number | undefined, digits: number, width: number): string {
  return (value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits)).padStart(width);
}

export function renderTable(results: readonly RoundResult[]): string {
  const header = [
    'streams'.padStart(7),
    'server'.padEnd(11),
    ...COLUMNS.map((c) => c.title.padStart(c.width)),
    'segments'.padStart(9),
    'ffmpeg CPU %'.padStart(13),
    'machine busy %'.padStart(15),
  ].join(' ');
  const lines = [header, '-'.repeat(header.length)];
  const counts = [...new Set(results.map((r) => r.streams))];
  for (const streams of counts) {
    const rows = results.filter((r) => r.streams === streams);
    for (const row of rows) {
      lines.push(
        [
          String(streams).padStart(7),
          row.server.padEnd(11),
          ...COLUMNS.map((c) => cell(c.value(row), c.digits, c.width)),
          String(row.seenDelaysMs.length).padStart(9),
          cell(row.ffmpegCpuPercent, 1, 13),
          cell(row.machineBusyPercent, 0, 15),
        ].join(' '),
      );
    }
    const ours = rows.find((r) => r.server === 'ours');
    const nginx = rows.find((r) => r.server === 'nginx');
    if (ours && nginx) {
      lines.push(
        [
          ''.padStart(7),
          'ours/nginx'.padEnd(11),
          ...COLUMNS.map((c) => {
            const a = c.value(ours);
            const b = c.value(nginx);
            const ratio = a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}x` : '-';
            return ratio.padStart(c.width);
          }),
        ].join(' '),
      );
    }
  }
  return lines.join('\n');
}

function ms(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(1)} ms`;
}

export function renderDetails(results: readonly RoundResult[]): string {
  return results
    .map((r) => {
      const parts = [
        `server CPU ${r.cpuPercent.toFixed(1)} % = user ${(r.cpuPercent - r.systemCpuPercent).toFixed(1)} + kernel ${r.systemCpuPercent.toFixed(1)}`,
        `delay p90 ${ms(percentile(r.seenDelaysMs, 90))} p99 ${ms(percentile(r.seenDelaysMs, 99))}`,
        `delay from playlist ctime p50 ${ms(median(r.renamedDelaysMs))} max ${ms(max(r.renamedDelaysMs))}`,
        `fewest samples/stream ${r.fewestSamplesPerStream}`,
        `unmatched ${r.unmatchedSegments}`,
        `publisher pacing spread ${ms(r.pacingSpreadMs)}`,
        `bench process CPU ${r.benchCpuPercent.toFixed(1)} %`,
      ];
      if (r.originStats) {
        const d = r.originStats.segmentDelay;
        parts.unshift(`origin GET /stats: liveStreams ${r.originStats.liveStreams}, segmentDelay segments ${d.segments} median ${ms(d.medianMs ?? undefined)} max ${ms(d.maxMs ?? undefined)}`);
      }
      const problems = r.problems.length > 0 ? `\n    PROBLEMS: ${r.problems.join('; ')}` : '';
      return `  ${r.server} x${r.streams}: ${parts.join('; ')}${problems}`;
    })
    .join('\n');
}

/** The targets, at 50 streams: CPU per stream within 1.5x nginx-rtmp's, segment delay < 50 ms. */
export function renderTargets(results: readonly RoundResult[]): string {
  const largest = Math.max(...results.map((r) => r.streams));
  const ours = results.find((r) => r.server === 'ours' && r.streams === largest);
  const nginx = results.find((r) => r.server === 'nginx' && r.streams === largest);
  const lines = [`targets (the issue states them at 50 streams; largest round here: ${largest})`];
  if (ours && nginx && nginx.cpuPercent > 0) {
    const ratio = ours.cpuPercent / ours.streams / (nginx.cpuPercent / nginx.streams);
    lines.push(`  CPU per stream ours/nginx ${ratio.toFixed(2)}x (target <= 1.5x): ${ratio <= 1.5 ? 'met' : 'NOT met'}`);
  } else {
    lines.push('  CPU per stream vs nginx-rtmp: not measured (nginx-rtmp did not run)');
  }
  if (ours) {
    const worst = max(ours.seenDelaysMs);
    const own = ours.originStats?.segmentDelay.maxMs ?? undefined;
    const met = worst !== undefined && worst < 50 && (own === undefined || own < 50);
    lines.push(`  segment delay worst: ${ms(worst)} seen from outside, ${ms(own)} by the origin's /stats (target < 50 ms): ${met ? 'met' : 'NOT met'}`);
  }
  return lines.join('\n');
}
