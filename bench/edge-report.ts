/** The edge benchmark's results and how they are printed: one table a person can compare. */
import type { WrkResult } from './edge-wrk.js';

export interface WrkRow {
  target: string;
  file: string;
  result: WrkResult;
}

export interface ViewerReport {
  viewers: number;
  seconds: number;
  playlistRequests: number;
  segmentRequests: number;
  failures: number;
  playlistP50Ms: number;
  playlistP99Ms: number;
  segmentP50Ms: number;
  segmentP99Ms: number;
  servedBytesPerSecond: number;
  newSegments: number;
  /** Origin requests for each new segment, in order. */
  originRequestsPerNewSegment: number[];
  playlistChanges: number;
  originPlaylistRequests: number;
  coalescedWaits: number;
}

const MIB = 1024 * 1024;

function pad(cells: string[], widths: number[]): string {
  return cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
}

export function renderWrkTable(rows: WrkRow[]): string {
  const header = ['target', 'file', 'req/s', 'MiB/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'];
  const lines = rows.map(({ target, file, result }) => [
    target,
    file,
    result.requestsPerSecond.toFixed(0),
    (result.bytesPerSecond / MIB).toFixed(1),
    result.p50Ms.toFixed(2),
    result.p99Ms.toFixed(2),
    String(result.non2xx),
    String(result.socketErrors),
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...lines.map((line) => line[i]!.length)));
  return [pad(header, widths), ...lines.map((line) => pad(line, widths))].join('\n');
}

/** The targets: edge >= 0.5x nginx on playlist req/s and on segment bytes/s. */
export function renderTargets(rows: WrkRow[], edge: string, nginx: string): string {
  const find = (target: string, kind: string) => rows.find((row) => row.target === target && row.file.startsWith(kind))?.result;
  const lines: string[] = [];
  const ratio = (kind: string, measure: (r: WrkResult) => number, label: string) => {
    const ours = find(edge, kind);
    const theirs = find(nginx, kind);
    if (!ours || !theirs) return;
    const value = measure(ours) / measure(theirs);
    lines.push(`  ${label}: edge / ${nginx} = ${value.toFixed(2)}x (target >= 0.5x) ${value >= 0.5 ? 'met' : 'NOT met'}`);
  };
  ratio('playlist', (r) => r.requestsPerSecond, 'playlist req/s');
  ratio('segment', (r) => r.bytesPerSecond, 'segment bytes/s');
  return lines.join('\n');
}

export function renderViewers(report: ViewerReport): string {
  const perSegment = report.originRequestsPerNewSegment;
  const total = perSegment.reduce((sum, n) => sum + n, 0);
  const exact = perSegment.every((n) => n === 1);
  return [
    `${report.viewers} viewers through one edge for ${report.seconds} s (playlist every second, each new segment once):`,
    `  requests: ${report.playlistRequests} playlist, ${report.segmentRequests} segment, ${report.failures} failed`,
    `  latency: playlist p50 ${report.playlistP50Ms.toFixed(1)} ms, p99 ${report.playlistP99Ms.toFixed(1)} ms; segment p50 ${report.segmentP50Ms.toFixed(1)} ms, p99 ${report.segmentP99Ms.toFixed(1)} ms`,
    `  served: ${(report.servedBytesPerSecond / MIB).toFixed(1)} MiB/s of segments; ${report.coalescedWaits} requests joined a fetch under way`,
    `  origin requests per new segment: ${perSegment.length === 0 ? 'n/a' : (total / perSegment.length).toFixed(2)} (${report.newSegments} new segments, ${total} requests: [${perSegment.join(', ')}]) ${exact ? 'exactly 1 each: target met' : 'target NOT met'}`,
    `  origin requests per playlist change: ${report.playlistChanges === 0 ? 'n/a' : (report.originPlaylistRequests / report.playlistChanges).toFixed(2)} (${report.playlistChanges} changes, ${report.originPlaylistRequests} requests; a playlist is reused half a target duration)`,
  ].join('\n');
}
