/**
 * Round results and how they are printed: one table row per server and stream count, a ratio row
 * (ours / nginx) when both ran, then per-round details and the issue's targets.
 */
import type { EventLoopDelay, OriginStats, ServerKind } from './bench-servers.js';

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
  /** Our origin's event-loop delay over the window; undefined for nginx. */
  eventLoopDelay: EventLoopDelay | undefined;
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
  /** `previous`: the same server's round with the next smaller stream count, if any. */
  value: (row: RoundResult, previous: RoundResult | undefined) => number | undefined;
  digits: number;
}

/**
 * RSS growth per stream added since the same server's previous (smaller) round, or since the idle
 * server in its first round: the slope of the cost curve.
 */
export function rssGrowthPerAddedStream(row: RoundResult, previous: RoundResult | undefined): number {
  if (!previous) return Math.max(0, row.rssPeakBytes - row.rssIdleBytes) / MB / row.streams;
  return (row.rssPeakBytes - previous.rssPeakBytes) / MB / (row.streams - previous.streams);
}

const COLUMNS: Column[] = [
  { title: 'CPU %', width: 7, value: (r) => r.cpuPercent, digits: 1 },
  { title: 'CPU %/str', width: 10, value: (r) => r.cpuPercent / r.streams, digits: 2 },
  { title: 'RSS MB', width: 7, value: (r) => r.rssPeakBytes / MB, digits: 1 },
  { title: 'RSS MB/str', width: 11, value: (r) => r.rssPeakBytes / MB / r.streams, digits: 2 },
  { title: '+RSS MB/added', width: 14, value: rssGrowthPerAddedStream, digits: 2 },
  { title: 'seg p50 ms', width: 11, value: (r) => median(r.seenDelaysMs), digits: 1 },
  { title: 'seg p99 ms', width: 11, value: (r) => percentile(r.seenDelaysMs, 99), digits: 1 },
  { title: 'seg max ms', width: 11, value: (r) => max(r.seenDelaysMs), digits: 1 },
  { title: 'loop p99 ms', width: 12, value: (r) => r.eventLoopDelay?.p99Ms, digits: 1 },
  { title: 'loop max ms', width: 12, value: (r) => r.eventLoopDelay?.maxMs, digits: 1 },
];

/** The same server's round with the next smaller stream count. */
function previousRound(results: readonly RoundResult[], row: RoundResult): RoundResult | undefined {
  return results
    .filter((r) => r.server === row.server && r.streams < row.streams)
    .reduce<RoundResult | undefined>((best, r) => (best && best.streams > r.streams ? best : r), undefined);
}

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
          ...COLUMNS.map((c) => cell(c.value(row, previousRound(results, row)), c.digits, c.width)),
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
            const a = c.value(ours, previousRound(results, ours));
            const b = c.value(nginx, previousRound(results, nginx));
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

/** Per-stream CPU (% of a core) and RSS (MB) of a round. */
const perStream = (r: RoundResult) => ({ cpu: r.cpuPercent / r.streams, rss: r.rssPeakBytes / MB / r.streams });

function verdict(met: boolean): string {
  return met ? 'met' : 'NOT met';
}

/**
 * Issue 14's targets, for every stream count both servers ran: RSS per stream <= 2x nginx-rtmp's
 * and growth per added stream <= 3x (stated at 50 and 200), CPU per stream <= 0.8x (at 200); our
 * per-stream CPU and RSS no more than 1.3x the 10-stream round's (the smallest round of 10 or
 * more here); event-loop delay p99 < 20 ms and segment delay max < 50 ms.
 */
export function renderTargets(results: readonly RoundResult[]): string {
  const lines = ['targets (issue 14; stated at 50 and 200 streams)'];
  const ours = results.filter((r) => r.server === 'ours').sort((a, b) => a.streams - b.streams);
  for (const row of ours) {
    const nginx = results.find((r) => r.server === 'nginx' && r.streams === row.streams);
    const parts: string[] = [];
    if (nginx && nginx.rssPeakBytes > 0 && nginx.cpuPercent > 0) {
      const rss = perStream(row).rss / perStream(nginx).rss;
      const growthNginx = rssGrowthPerAddedStream(nginx, previousRound(results, nginx));
      const growth = growthNginx > 0 ? rssGrowthPerAddedStream(row, previousRound(results, row)) / growthNginx : Number.NaN;
      const cpu = perStream(row).cpu / perStream(nginx).cpu;
      parts.push(`RSS/stream ${rss.toFixed(2)}x nginx (<= 2x): ${verdict(rss <= 2)}`);
      parts.push(`growth/added stream ${Number.isFinite(growth) ? `${growth.toFixed(2)}x` : '-'} (<= 3x): ${verdict(growth <= 3)}`);
      parts.push(`CPU/stream ${cpu.toFixed(2)}x (<= 0.8x): ${verdict(cpu <= 0.8)}`);
    } else {
      parts.push('no nginx-rtmp round to compare with');
    }
    const base = ours.find((r) => r.streams >= 10);
    if (base && base !== row && row.streams > base.streams) {
      const cpu = perStream(row).cpu / perStream(base).cpu;
      const rss = perStream(row).rss / perStream(base).rss;
      parts.push(`per-stream CPU ${cpu.toFixed(2)}x and RSS ${rss.toFixed(2)}x the ${base.streams}-stream round's (<= 1.3x): ${verdict(cpu <= 1.3 && rss <= 1.3)}`);
    }
    const loop = row.eventLoopDelay?.p99Ms;
    parts.push(`loop p99 ${ms(loop)} (< 20 ms): ${verdict(loop !== undefined && loop < 20)}`);
    const worst = max(row.seenDelaysMs);
    const own = row.originStats?.segmentDelay.maxMs ?? undefined;
    parts.push(`segment delay max ${ms(worst)} seen, ${ms(own)} by /stats (< 50 ms): ${verdict(worst !== undefined && worst < 50 && (own === undefined || own < 50))}`);
    lines.push(`  ${row.streams} streams: ${parts.join('; ')}`);
  }
  return lines.join('\n');
}
