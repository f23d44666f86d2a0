/**
 * Simulated LL-HLS viewers, as hls.js in lowLatencyMode follows a live stream: each asks for the
 * hinted part (EXT-X-PRELOAD-HINT) and, at the same time, for the playlist blocked until that part
 * is listed (`_HLS_msn`/`_HLS_part`); when the playlist comes back, it does the same for the next
 * hint. Viewers of one edge therefore ask for the same part and the same blocking playlist at
 * about the same moment, the load the edge must turn into one origin request each. One undici
 * pool per viewer (two connections: the blocked playlist and the part), all in this process.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { LOW_LATENCY_PLAYLIST_FILE_NAME, partFileName } from '../llhls-contract/src/llhls-names.js';
import { sleep } from './bench-process.js';

export interface LowLatencyViewerOptions {
  edgeUrl: string;
  stream: string;
  viewers: number;
  seconds: number;
}

export interface LowLatencyViewerResult {
  /** Distinct part paths (`/<stream>/<msn>.<part>.m4s`) some viewer got whole. */
  partPaths: Set<string>;
  playlistRequests: number;
  partRequests: number;
  /** Answers other than 200, and failed requests. */
  failures: number;
}

/** Longest a blocked request may take: the origin answers within three target durations. */
const REQUEST_TIMEOUT_MS = 30_000;
const HINT = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(\d+)\.(\d+)\.m4s"/;

export async function runLowLatencyViewers(options: LowLatencyViewerOptions): Promise<LowLatencyViewerResult> {
  const result: LowLatencyViewerResult = { partPaths: new Set(), playlistRequests: 0, partRequests: 0, failures: 0 };
  const endAt = performance.now() + options.seconds * 1_000;
  const base = `/${options.stream}/`;
  const pools: Pool[] = [];

  const get = async (pool: Pool, path: string): Promise<Buffer | undefined> => {
    try {
      const { statusCode, body } = await pool.request({ method: 'GET', path, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
      const bytes = Buffer.from(await body.arrayBuffer());
      if (statusCode === 200) return bytes;
    } catch {
      // Counted below.
    }
    result.failures++;
    return undefined;
  };

  const viewer = async (index: number): Promise<void> => {
    const pool = new Pool(options.edgeUrl, { connections: 2 });
    pools.push(pool);
    // Viewers arrive spread over the first second, as a real audience does.
    await sleep((index * 1_000) / options.viewers);
    let playlist = await get(pool, `${base}${LOW_LATENCY_PLAYLIST_FILE_NAME}`);
    result.playlistRequests++;
    while (performance.now() < endAt) {
      const hint = playlist && HINT.exec(playlist.toString('utf8'));
      if (!hint) {
        // No live playlist (yet, or a failure): ask again shortly, as a player retries.
        await sleep(200);
        playlist = await get(pool, `${base}${LOW_LATENCY_PLAYLIST_FILE_NAME}`);
        result.playlistRequests++;
        continue;
      }
      const [msn, part] = [Number(hint[1]), Number(hint[2])];
      const partPath = `${base}${partFileName(msn, part)}`;
      const [nextPlaylist, partBytes] = await Promise.all([
        get(pool, `${base}${LOW_LATENCY_PLAYLIST_FILE_NAME}?_HLS_msn=${msn}&_HLS_part=${part}`),
        get(pool, partPath),
      ]);
      result.playlistRequests++;
      result.partRequests++;
      if (partBytes) result.partPaths.add(partPath);
      playlist = nextPlaylist;
    }
  };

  await Promise.all(Array.from({ length: options.viewers }, (_, i) => viewer(i)));
  await Promise.all(pools.map((pool) => pool.close()));
  return result;
}
