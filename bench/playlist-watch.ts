/**
 * Watches `<hlsPath>/<stream>/index.m3u8` of every benchmark stream with inotify (fs.watch on the
 * stream folders: both servers rename a finished playlist into place) and notes when each segment
 * first appears in a playlist, and where it ends in media time (cumulative EXTINF).
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { wallClockMs } from './rtmp-timing-relay.js';

const PLAYLIST = 'index.m3u8';
/** Fallback for a folder created before its parent's watch event was handled. */
const FOLDER_POLL_MS = 100;

export interface SeenSegment {
  mediaSequence: number;
  durationSeconds: number;
  /** When the inotify event of the playlist rename that first named it was handled (ms since epoch). */
  seenAt: number;
  /** ctime of that playlist file: the kernel's time of the rename, coarse-grained (see origin-bench.ts). */
  renamedAt: number;
  /** Named in the playlist already there when the folder was first watched: no precise time. */
  late: boolean;
}

interface WatchedStream {
  folder: string;
  watcher: FSWatcher | undefined;
  segments: Map<number, SeenSegment>;
}

/** A media playlist's segments as `[mediaSequence, EXTINF seconds]`, in order. */
export function playlistSegments(text: string): Array<[number, number]> {
  let sequence = 0;
  let duration: number | undefined;
  const segments: Array<[number, number]> = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) sequence = Number(line.slice(22));
    else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
    else if (line !== '' && !line.startsWith('#') && duration !== undefined) {
      segments.push([sequence + segments.length, duration]);
      duration = undefined;
    }
  }
  return segments;
}

export class PlaylistWatch {
  readonly #root: string;
  readonly #streams = new Map<string, WatchedStream>();
  readonly #rootWatcher: FSWatcher;
  readonly #poll: NodeJS.Timeout;

  constructor(hlsPath: string) {
    this.#root = hlsPath;
    this.#rootWatcher = watch(hlsPath, (_event, name) => {
      if (typeof name === 'string') this.#attach(name);
    });
    this.#poll = setInterval(() => {
      for (const name of this.#streams.keys()) this.#attach(name);
    }, FOLDER_POLL_MS);
  }

  /** Starts expecting a stream; call before its publisher starts. */
  expect(name: string): void {
    if (this.#streams.has(name)) return;
    this.#streams.set(name, { folder: path.join(this.#root, name), watcher: undefined, segments: new Map() });
    this.#attach(name);
  }

  /** Segments seen so far, by media sequence number. */
  segments(name: string): ReadonlyMap<number, SeenSegment> {
    return this.#streams.get(name)?.segments ?? new Map();
  }

  close(): void {
    clearInterval(this.#poll);
    this.#rootWatcher.close();
    for (const stream of this.#streams.values()) stream.watcher?.close();
  }

  #attach(name: string): void {
    const stream = this.#streams.get(name);
    if (!stream || stream.watcher || !existsSync(stream.folder)) return;
    try {
      stream.watcher = watch(stream.folder, (_event, file) => {
        if (file === PLAYLIST) this.#read(stream, wallClockMs(), false);
      });
    } catch {
      return;
    }
    this.#read(stream, wallClockMs(), true);
  }

  /** Synchronous on purpose: a 2 KB read in the event's own callback keeps `seenAt` honest. */
  #read(stream: WatchedStream, seenAt: number, late: boolean): void {
    let fd: number;
    try {
      fd = openSync(path.join(stream.folder, PLAYLIST), 'r');
    } catch {
      return;
    }
    try {
      const renamedAt = Number(fstatSync(fd, { bigint: true }).ctimeNs) / 1e6;
      for (const [mediaSequence, durationSeconds] of playlistSegments(readFileSync(fd, 'utf8'))) {
        if (stream.segments.has(mediaSequence)) continue;
        stream.segments.set(mediaSequence, { mediaSequence, durationSeconds, seenAt, renamedAt, late });
      }
    } finally {
      closeSync(fd);
    }
  }
}
