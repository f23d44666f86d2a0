/**
 * bench:latency's results and how they are printed: the players' latency side by side (median and
 * p95 of wall clock minus the playhead's PROGRAM-DATE-TIME), then origin requests per part at each
 * viewer count, then the issue's targets.
 */
import { median, percentile } from './bench-report.js';

export interface PlayerLatency {
  label: string;
  /** Wall clock minus hls.playingDate, seconds, one sample per interval of the window. */
  behindSeconds: number[];
  /** hls.latency at the same moments, seconds. */
  hlsLatencySeconds: number[];
  /** hls.js's own target (PART-HOLD-BACK in low-latency mode), seconds. */
  targetLatencySeconds: number | null;
  /** `waiting` events after playback started, over the whole run. */
  stalls: number;
  /** LL-HLS parts hls.js loaded during the window. */
  parts: number;
}

export interface PartRound {
  viewers: number;
  seconds: number;
  /** Origin requests (through the counting proxy) for each part some viewer got. */
  originRequestsPerPart: number[];
  /** Origin requests for each distinct blocking playlist query (`_HLS_msn`/`_HLS_part`). */
  originRequestsPerBlockingQuery: number[];
  viewerRequests: number;
  failures: number;
}

const fixed = (value: number | undefined, digits = 2) => (value === undefined ? '-' : value.toFixed(digits));
const mean = (values: number[]) => (values.length === 0 ? undefined : values.reduce((sum, n) => sum + n, 0) / values.length);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].map((text) => `  ${text}`).join('\n');
}

export function renderLatency(players: PlayerLatency[], windowSeconds: number): string {
  return [
    `viewer latency over ${windowSeconds} s (wall clock minus the playhead's PROGRAM-DATE-TIME, sampled every 0.5 s):`,
    table(
      ['player', 'median s', 'p95 s', 'hls.latency median s', 'target s', 'stalls', 'parts'],
      players.map((p) => [
        p.label,
        fixed(median(p.behindSeconds)),
        fixed(percentile(p.behindSeconds, 95)),
        fixed(median(p.hlsLatencySeconds)),
        fixed(p.targetLatencySeconds ?? undefined),
        String(p.stalls),
        String(p.parts),
      ]),
    ),
  ].join('\n');
}

export function renderPartRounds(rounds: PartRound[]): string {
  return [
    'origin requests per part, simulated LL-HLS viewers through one edge (blocking playlist + hinted part, as hls.js):',
    table(
      ['viewers', 'parts', 'origin req/part mean', 'max', 'blocking playlists', 'origin req/playlist mean', 'max', 'viewer requests', 'failed'],
      rounds.map((r) => [
        String(r.viewers),
        String(r.originRequestsPerPart.length),
        fixed(mean(r.originRequestsPerPart)),
        String(Math.max(0, ...r.originRequestsPerPart)),
        String(r.originRequestsPerBlockingQuery.length),
        fixed(mean(r.originRequestsPerBlockingQuery)),
        String(Math.max(0, ...r.originRequestsPerBlockingQuery)),
        String(r.viewerRequests),
        String(r.failures),
      ]),
    ),
  ].join('\n');
}

/** The targets: LL-HLS <= 1.5 s median, at least 2x better than standard HLS, 1 origin request per part. */
export function renderTargets(standard: PlayerLatency, lowLatency: readonly PlayerLatency[], rounds: readonly PartRound[]): string {
  const std = median(standard.behindSeconds);
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  const lines = ['targets:'];
  for (const player of lowLatency) {
    const ll = median(player.behindSeconds);
    lines.push(`  ${player.label}: median ${fixed(ll)} s (target <= 1.5 s) ${verdict(ll !== undefined && ll <= 1.5)}`);
    if (ll !== undefined && std !== undefined) {
      const ratio = std / ll;
      lines.push(`  ${player.label}: ${ratio.toFixed(2)}x better than ${standard.label} (target >= 2x) ${verdict(ratio >= 2)}`);
    }
  }
  for (const round of rounds) {
    const exact = round.originRequestsPerPart.length > 0 && round.originRequestsPerPart.every((n) => n === 1);
    lines.push(`  ${round.viewers} viewers: 1 origin request per part ${verdict(exact)}`);
  }
  return lines.join('\n');
}
