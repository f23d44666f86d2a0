/**
 * Simulated HLS viewers, as a player polls a live stream: the playlist every second, and each
 * segment that is new since the last poll (at the start, the newest one). One undici request loop
 * per viewer, all in this process, over the edge's keep-alive connections.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { sleep } from './bench-process.js';

export interface ViewerRunOptions {
  edgeUrl: string;
  stream: string;
  viewers: number;
  seconds: number;
  /** How often each viewer asks for the playlist. */
  pollMs: number;
}

export interface ViewerRunResult {
  playlistLatenciesMs: number[];
  segmentLatenciesMs: number[];
  segmentBytes: number;
  /** Answers other than 200, and failed requests. */
  failures: number;
  /** Distinct segment paths the viewers fetched. */
  segmentPaths: Set<string>;
}

export async function runViewers(options: ViewerRunOptions): Promise<ViewerRunResult> {
  const pool = new Pool(options.edgeUrl, { connections: options.viewers });
  const result: ViewerRunResult = { playlistLatenciesMs: [], segmentLatenciesMs: [], segmentBytes: 0, failures: 0, segmentPaths: new Set() };
  const endAt = performance.now() + options.seconds * 1_000;
  const base = `/${options.stream}/`;

  const get = async (path: string, latencies: number[]): Promise<Buffer | undefined> => {
    const started = performance.now();
    try {
      const { statusCode, body } = await pool.request({ method: 'GET', path });
      const bytes = Buffer.from(await body.arrayBuffer());
      latencies.push(performance.now() - started);
      if (statusCode === 200) return bytes;
    } catch {
      // Counted below.
    }
    result.failures++;
    return undefined;
  };

  const viewer = async (index: number): Promise<void> => {
    // Viewers arrive spread over the first poll interval, as a real audience does.
    await sleep((index * options.pollMs) / options.viewers);
    const seen = new Set<string>();
    let first = true;
    while (performance.now() < endAt) {
      const pollStarted = performance.now();
      const playlist = await get(`${base}index.m3u8`, result.playlistLatenciesMs);
      if (playlist) {
        const uris = playlist
          .toString('utf8')
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line !== '' && !line.startsWith('#'));
        const fresh = first ? uris.slice(-1) : uris.filter((uri) => !seen.has(uri));
        for (const uri of uris) seen.add(uri);
        first = false;
        for (const uri of fresh) {
          const segment = await get(`${base}${uri}`, result.segmentLatenciesMs);
          result.segmentPaths.add(`${base}${uri}`);
          if (segment) result.segmentBytes += segment.length;
        }
      }
      await sleep(Math.max(0, pollStarted + options.pollMs - performance.now()));
    }
  };

  await Promise.all(Array.from({ length: options.viewers }, (_, i) => viewer(i)));
  await pool.close();
  return result;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
