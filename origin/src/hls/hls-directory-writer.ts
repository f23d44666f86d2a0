import { join } from 'node:path';
import { InvalidStreamNameError, StreamWriterClosedError } from './hls-errors.js';
import { isStreamName, renditionPlaylistFileName, renditionSegmentFileName } from './hls-names.js';
import { HlsStreamWriter } from './hls-stream-writer.js';
import { scheduleUnrefTimer, type CancelTimer, type ScheduleTimer } from '../schedule-timer.js';
import { DEFAULT_WINDOW_SECONDS } from './live-playlist.js';
import { removeStreamFolder } from './stream-folder.js';

/** Default time a finished stream's folder stays, so late viewers get ENDLIST rather than 404. */
export const DEFAULT_CLEANUP_AFTER_END_SECONDS = 300;

export interface HlsDirectoryWriterOptions {
  /** HLS_PATH: one folder per stream below it. Created when the first stream starts. */
  hlsPath: string;
  /** The segmenter's target segment length in whole seconds; see LivePlaylist. */
  targetDurationSeconds: number;
  /** Seconds of media in each playlist (nginx-rtmp `hls_playlist_length`). Default 60. */
  playlistLengthSeconds?: number;
  /**
   * Seconds a segment stays on disk after leaving the playlist, for players and edges that loaded
   * an older playlist. Default: playlistLengthSeconds.
   */
  segmentGraceSeconds?: number;
  /** Seconds after ENDLIST before a stream's folder is removed, unless it starts again. Default 300. */
  cleanupAfterEndSeconds?: number;
  /**
   * Media sequence number of a new stream's first segment (segments are named after it). Default:
   * the clock in milliseconds, which only grows, so a stream started again after its folder was
   * cleaned up, or after an origin restart, never reuses a segment name an edge may have cached
   * as immutable (the idea of nginx-rtmp's `hls_fragment_naming system`).
   */
  firstMediaSequence?: (streamName: string) => number;
  /** Failures of work nobody awaits: deleting old segments, removing finished streams' folders. */
  onBackgroundError: (error: Error) => void;
  /** Runs the delayed work (segment deletions, folder cleanups). Default: Node's timers, unref'd. */
  schedule?: ScheduleTimer;
}

/** How a new stream's folder is laid out; a stream still known keeps the layout it started with. */
export interface StreamLayout {
  /** The source's media playlist; default `index.m3u8` (with ABR on, `source.m3u8`). */
  playlistFileName?: string;
}

interface StreamEntry {
  writer: Promise<HlsStreamWriter>;
  cancelCleanup?: CancelTimer;
  removal?: Promise<void>;
}

function positiveSeconds(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a number >= 0, got ${value}`);
  return value;
}

/**
 * The HLS folder of this origin: hands out one HlsStreamWriter per stream name and removes a
 * finished stream's folder some time after its end, unless the stream came back.
 */
export class HlsDirectoryWriter {
  readonly hlsPath: string;
  private readonly playlistLengthSeconds: number;
  private readonly segmentGraceMs: number;
  private readonly cleanupAfterEndMs: number;
  private readonly firstMediaSequence: (streamName: string) => number;
  private readonly schedule: ScheduleTimer;
  private readonly streams = new Map<string, StreamEntry>();
  private closed = false;

  constructor(private readonly options: HlsDirectoryWriterOptions) {
    this.hlsPath = options.hlsPath;
    this.playlistLengthSeconds = positiveSeconds(
      'playlistLengthSeconds',
      options.playlistLengthSeconds ?? DEFAULT_WINDOW_SECONDS,
    );
    this.segmentGraceMs =
      positiveSeconds('segmentGraceSeconds', options.segmentGraceSeconds ?? this.playlistLengthSeconds) * 1000;
    this.cleanupAfterEndMs =
      positiveSeconds('cleanupAfterEndSeconds', options.cleanupAfterEndSeconds ?? DEFAULT_CLEANUP_AFTER_END_SECONDS) *
      1000;
    this.firstMediaSequence = options.firstMediaSequence ?? (() => Date.now());
    this.schedule = options.schedule ?? scheduleUnrefTimer;
  }

  /**
   * A publisher started on `streamName`. A stream still known here (live, or ended and not yet
   * cleaned up) keeps its writer: the cleanup is cancelled and its next segment carries
   * EXT-X-DISCONTINUITY, continuing the media sequence. Otherwise a new writer starts.
   * The ingest must refuse a second publisher on a live name; this does not.
   */
  async startStream(streamName: string, layout: StreamLayout = {}): Promise<HlsStreamWriter> {
    if (!isStreamName(streamName)) throw new InvalidStreamNameError(streamName);
    if (this.closed) throw new StreamWriterClosedError(join(this.hlsPath, streamName));
    const entry = this.streams.get(streamName);
    if (entry?.removal) {
      await entry.removal;
      return this.startStream(streamName, layout);
    }
    if (entry) {
      entry.cancelCleanup?.();
      delete entry.cancelCleanup;
      const writer = await entry.writer;
      await writer.resume();
      return writer;
    }
    return this.createStream(streamName, layout);
  }

  /**
   * An ABR rendition of a live stream: its media playlist `<rendition>.m3u8` and segments
   * `<rendition>-<n>.ts` in the stream's folder, numbered from `firstMediaSequence` (the source's
   * number for the same media). The folder's cleanup is the stream's: end() only adds ENDLIST.
   */
  startRendition(streamName: string, rendition: string, firstMediaSequence: number): Promise<HlsStreamWriter> {
    if (!isStreamName(streamName)) return Promise.reject(new InvalidStreamNameError(streamName));
    if (this.closed) return Promise.reject(new StreamWriterClosedError(join(this.hlsPath, streamName)));
    return HlsStreamWriter.create({
      ...this.writerOptions(streamName),
      firstMediaSequence,
      playlistFileName: renditionPlaylistFileName(rendition),
      segmentFileName: (sequence) => renditionSegmentFileName(rendition, sequence),
    });
  }

  /** Cancels cleanups and pending deletions and refuses new streams. Folders stay for the next sweep. */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.streams.values()];
    for (const entry of entries) entry.cancelCleanup?.();
    await Promise.all(
      entries.map(async (entry) => {
        await entry.removal;
        const writer = await entry.writer.catch(() => undefined);
        await writer?.close();
      }),
    );
  }

  private writerOptions(streamName: string) {
    return {
      folder: join(this.hlsPath, streamName),
      targetDurationSeconds: this.options.targetDurationSeconds,
      windowSeconds: this.playlistLengthSeconds,
      segmentGraceMs: this.segmentGraceMs,
      onBackgroundError: this.options.onBackgroundError,
      schedule: this.schedule,
    };
  }

  private createStream(streamName: string, layout: StreamLayout): Promise<HlsStreamWriter> {
    const entry: StreamEntry = {
      writer: HlsStreamWriter.create({
        ...this.writerOptions(streamName),
        firstMediaSequence: this.firstMediaSequence(streamName),
        playlistFileName: layout.playlistFileName,
        onEnded: () => this.scheduleCleanup(streamName, entry),
      }),
    };
    this.streams.set(streamName, entry);
    entry.writer.catch(() => {
      if (this.streams.get(streamName) === entry) this.streams.delete(streamName);
    });
    return entry.writer;
  }

  private scheduleCleanup(streamName: string, entry: StreamEntry): void {
    if (this.closed || this.streams.get(streamName) !== entry) return;
    entry.cancelCleanup?.();
    entry.cancelCleanup = this.schedule(this.cleanupAfterEndMs, () => this.removeStream(streamName, entry));
  }

  private removeStream(streamName: string, entry: StreamEntry): void {
    delete entry.cancelCleanup;
    entry.removal = (async () => {
      const writer = await entry.writer;
      // Resumed through the writer itself rather than startStream: the stream is live, keep it.
      if (!writer.ended) return;
      this.streams.delete(streamName);
      await writer.close();
      await removeStreamFolder(writer.folder);
    })()
      .catch(this.options.onBackgroundError)
      .finally(() => {
        delete entry.removal;
      });
  }
}
