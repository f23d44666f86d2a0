import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { GrowingFile } from './growing-file.js';
import { HlsWriteError, StreamWriterClosedError } from './hls-errors.js';
import { PLAYLIST_FILE_NAME, segmentFileName } from './hls-names.js';
import { LivePlaylist, type PlaylistSegment } from './live-playlist.js';
import { scheduleUnrefTimer, type CancelTimer, type ScheduleTimer } from '../schedule-timer.js';
import { unlinkIfPresent } from './stream-folder.js';

export interface SegmentTiming {
  durationSeconds: number;
  /** Wall-clock time of the segment's first sample. Must increase from segment to segment. */
  programDateTime: Date;
  /** Timestamps or encoding restart here (the packager knows; a reconnect is marked by resume()). */
  discontinuity?: boolean;
}

export interface HlsStreamWriterOptions {
  /** The stream's folder, `HLS_PATH/<name>`. */
  folder: string;
  targetDurationSeconds: number;
  windowSeconds: number;
  /** How long a segment that left the playlist stays on disk, in milliseconds. */
  segmentGraceMs: number;
  firstMediaSequence: number;
  /** The media playlist's name in the folder. Default `index.m3u8`. */
  playlistFileName?: string;
  /** Each segment's name from its media sequence number. Default `<n>.ts`. */
  segmentFileName?: (mediaSequenceNumber: number) => string;
  /** Failures of work nobody awaits (deleting old segments). */
  onBackgroundError: (error: Error) => void;
  /** Called once end() has written (or failed to write) the ENDLIST playlist. */
  onEnded?: () => void;
  /** Runs the delayed deletions. Default: Node's timers, unref'd. */
  schedule?: ScheduleTimer;
}

/**
 * One stream's folder: segment files and the playlist naming them, both written atomically, with
 * segments deleted a grace period after they leave the window. Operations run one at a time in
 * call order, so the caller may fire writeSegment without awaiting the previous one.
 */
export class HlsStreamWriter {
  readonly folder: string;
  readonly playlistPath: string;
  private readonly playlist: LivePlaylist;
  private readonly deletions = new Set<CancelTimer>();
  private readonly schedule: ScheduleTimer;
  private readonly segmentName: (mediaSequenceNumber: number) => string;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The segment in progress while it is written as it grows (appendToSegment). */
  private growing: GrowingFile | undefined;

  private constructor(private readonly options: HlsStreamWriterOptions) {
    this.folder = options.folder;
    this.playlistPath = join(options.folder, options.playlistFileName ?? PLAYLIST_FILE_NAME);
    this.segmentName = options.segmentFileName ?? segmentFileName;
    this.schedule = options.schedule ?? scheduleUnrefTimer;
    this.playlist = new LivePlaylist({
      targetDurationSeconds: options.targetDurationSeconds,
      windowSeconds: options.windowSeconds,
      firstMediaSequence: options.firstMediaSequence,
    });
  }

  /** Creates the folder (and HLS_PATH if needed). Nothing is written until the first segment. */
  static async create(options: HlsStreamWriterOptions): Promise<HlsStreamWriter> {
    try {
      await mkdir(options.folder, { recursive: true });
    } catch (error) {
      throw new HlsWriteError(options.folder, 'create folder', error);
    }
    return new HlsStreamWriter(options);
  }

  get ended(): boolean {
    return this.playlist.ended;
  }

  /** The media sequence number the next segment gets. */
  get nextMediaSequence(): number {
    return this.playlist.nextMediaSequence;
  }

  /**
   * More of the segment in progress, written at once (to `<sequence>.ts.tmp`); writeSegment
   * completes it. A failure shows when writeSegment does.
   */
  appendToSegment(chunks: readonly Uint8Array[]): Promise<void> {
    return this.enqueue(async () => {
      this.growing ??= new GrowingFile(join(this.folder, this.segmentName(this.playlist.nextMediaSequence)));
      this.growing.append(chunks);
    });
  }

  /**
   * Writes `<sequence>.ts` (the rest of it after appendToSegment), then the playlist that names
   * it. If the segment cannot be written the playlist is unchanged and the sequence number is
   * reused by the next segment. If only the playlist fails, the segment stays in the model and
   * the next successful write publishes it.
   */
  writeSegment(data: Uint8Array | readonly Uint8Array[], timing: SegmentTiming): Promise<PlaylistSegment> {
    return this.enqueue(async () => {
      const uri = this.segmentName(this.playlist.nextMediaSequence);
      const path = join(this.folder, uri);
      const growing = this.growing;
      this.growing = undefined;
      if (growing) growing.finish(data instanceof Uint8Array ? [data] : data);
      else await writeFileAtomic(path, data);
      let removed: PlaylistSegment[];
      try {
        removed = this.playlist.addSegment({ uri, ...timing });
      } catch (error) {
        // Refused timing: the sequence number stays free, so the file would only be overwritten later.
        await unlinkIfPresent(path).catch(this.options.onBackgroundError);
        throw error;
      }
      this.scheduleDeletion(removed);
      await writeFileAtomic(this.playlistPath, this.playlist.render());
      // The window never drops the newest segment.
      const added = this.playlist.segments.at(-1);
      if (!added) throw new Error(`segment ${uri} is missing from the playlist model`);
      return added;
    });
  }

  /** Publishes the playlist with EXT-X-ENDLIST. */
  end(): Promise<void> {
    return this.enqueue(async () => {
      // Only a segment nobody finished (the packager writes the last one before the end).
      this.discardGrowing();
      this.playlist.end();
      try {
        if (this.playlist.segments.length > 0) await writeFileAtomic(this.playlistPath, this.playlist.render());
      } finally {
        // Even when the last playlist cannot be written, the folder must not outlive the stream.
        this.options.onEnded?.();
      }
    });
  }

  /**
   * Another origin took the stream over: the playlist on disk stays as it is, without ENDLIST
   * (players keep polling it until the edges move to the new origin), and the folder is cleaned
   * up as after end(). A publisher back here later resumes it like an ended one.
   */
  handOver(): Promise<void> {
    return this.enqueue(async () => {
      // The segment in progress is dropped (its bytes were for a segment that will not be listed).
      this.discardGrowing();
      this.playlist.end();
      this.options.onEnded?.();
    });
  }

  /**
   * The publisher is back: the next segment carries EXT-X-DISCONTINUITY and ENDLIST goes away with
   * it. Go through HlsDirectoryWriter.startStream, which also cancels the folder's cleanup.
   */
  resume(): Promise<void> {
    return this.enqueue(async () => this.playlist.resume());
  }

  /** Cancels pending deletions and refuses further work; waits for the operation in progress. */
  async close(): Promise<void> {
    this.closed = true;
    for (const cancel of this.deletions) cancel();
    this.deletions.clear();
    await this.queue;
    this.discardGrowing();
  }

  private discardGrowing(): void {
    const growing = this.growing;
    this.growing = undefined;
    try {
      growing?.discard();
    } catch (error) {
      this.options.onBackgroundError(new HlsWriteError(growing!.path, 'remove', error));
    }
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StreamWriterClosedError(this.folder));
    const result = this.queue.then(operation);
    // The queue only orders work; each caller handles its own operation's failure.
    this.queue = result.catch(() => undefined);
    return result;
  }

  private scheduleDeletion(removed: PlaylistSegment[]): void {
    if (removed.length === 0) return;
    const cancel = this.schedule(this.options.segmentGraceMs, () => {
      this.deletions.delete(cancel);
      for (const segment of removed) {
        unlinkIfPresent(join(this.folder, segment.uri)).catch(this.options.onBackgroundError);
      }
    });
    this.deletions.add(cancel);
  }
}
