import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../../../service-kit/src/logger.js';
import type { PublishRecording } from '../../../internal-api/src/recording-contract.js';
import { scheduleUnrefTimer, type CancelTimer, type ScheduleTimer } from '../schedule-timer.js';
import {
  createRecordingFolder,
  keepSegment,
  recordingFolder,
  recordingSegmentName,
  removeRecording,
  writeRecording,
} from './recording-files.js';
import type { RecordingInfo } from './recording-info.js';
import { durationSecondsOf, type RecordingPlaylist } from './recording-playlist.js';

/** A finished live segment, as the packager hands it over once it is on disk. */
export interface RecordedSegment {
  /** The live segment file (HLS_PATH/<stream>/<n>.ts). */
  file: string;
  durationSeconds: number;
  bytes: number;
  /** The publisher's video size when known. */
  width?: number | undefined;
  height?: number | undefined;
}

/** One publish session's part of a video: what the packager feeds and tells when the publisher leaves. */
export interface VideoRecording {
  addSegment(segment: RecordedSegment): Promise<void>;
  /**
   * The publisher left: the video closes unless one comes back within the stream's timeout;
   * `final` (the stream was deleted): it closes now.
   */
  publisherLeft(final?: boolean): Promise<void>;
}

export interface RecorderOptions {
  /** RECORDINGS_PATH */
  recordingsPath: string;
  /** The segmenter's target segment length, whole seconds: the playlists' least target duration. */
  targetDurationSeconds: number;
  /**
   * RECORDING_MAX_SECONDS: a video that reaches this much media is closed and the session goes on
   * in a new video, so no playlist grows (and is rewritten with every segment) without end.
   * Default: no cap.
   */
  maxDurationSeconds?: number;
  logger: Logger;
  /** Runs the reconnect timeouts. Default: Node's timers, unref'd. */
  schedule?: ScheduleTimer;
  now?: () => number;
  /** Video uids; default 16 random bytes as hex. */
  newUid?: () => string;
  /**
   * A video's state changed on disk: its first segment is listed (live-inprogress) or it is closed
   * (ready). The videos reporter tells the API at once rather than at its next period.
   */
  onChange?: (stream: string, uid: string) => void;
}

/** One video being recorded (or waiting for its publisher) on this origin. */
interface Video {
  stream: string;
  folder: string;
  playlist: RecordingPlaylist;
  info: RecordingInfo;
  /** Bumped by each publish session; the session of a segment decides its discontinuity. */
  session: number;
  lastSegmentSession?: number;
  /** File work, one operation at a time in call order. */
  queue: Promise<unknown>;
  folderReady: boolean;
  cancelTimeout?: CancelTimer;
  /** Set when the close is asked for; the video is then no longer the stream's. */
  closing?: Promise<void>;
  /** Set once the closed playlist is written: later segments are not added. */
  finished: boolean;
  /** Closed at RECORDING_MAX_SECONDS: the session's next segment starts a new video. */
  full?: boolean;
}

export function randomVideoUid(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Records publish sessions as videos (seed 004's live input recording): each finished live
 * segment is kept under `RECORDINGS_PATH/<stream>/<uid>/` and listed in an EVENT playlist; when
 * the publisher is gone past `timeout_seconds` the playlist becomes VOD with ENDLIST. A publisher
 * back within it continues the same video after a discontinuity.
 */
export class Recorder {
  private readonly videos = new Map<string, Video>();
  private readonly schedule: ScheduleTimer;
  private readonly now: () => number;
  private readonly newUid: () => string;
  private closing = false;
  private readonly totals = { bytes: 0, failures: 0 };

  constructor(private readonly options: RecorderOptions) {
    this.schedule = options.schedule ?? scheduleUnrefTimer;
    this.now = options.now ?? Date.now;
    this.newUid = options.newUid ?? randomVideoUid;
  }

  /** Segment bytes kept since start, and segments or closes that failed. */
  get recordingTotals(): { bytes: number; failures: number } {
    return { ...this.totals };
  }

  /** Videos open on this origin (recording or waiting for their publisher). */
  get size(): number {
    return this.videos.size;
  }

  /**
   * A publish of `stream` started. Undefined when it is not recorded (a waiting video of the
   * stream is then closed now). A video waiting for its publisher is continued; otherwise a new
   * one starts.
   */
  start(stream: string, setting: PublishRecording): VideoRecording | undefined {
    const waiting = this.videos.get(stream);
    if (this.closing) return undefined;
    if (setting.mode === 'off') {
      if (waiting) void this.closeVideo(waiting);
      return undefined;
    }
    let video = waiting ?? this.newVideo(stream);
    video.cancelTimeout?.();
    delete video.cancelTimeout;
    video.session += 1;
    const session = video.session;
    const timeoutMs = setting.timeout_seconds * 1000;
    /**
     * The session's video: a new one once the last reached RECORDING_MAX_SECONDS, unless a later
     * session of the stream has a video by then (that one is the stream's; this session's late
     * segments go to the closed one, which takes no more).
     */
    const current = (): Video => {
      if (video.full && !this.closing && !this.videos.has(stream)) video = this.newVideo(stream, session);
      return video;
    };
    return {
      addSegment: (segment) => {
        const into = current();
        return this.enqueue(into, () => this.add(into, session, segment)).catch((error: unknown) => {
          this.totals.failures += 1;
          throw error;
        });
      },
      publisherLeft: async (final = false) => {
        // A later session took the video over: its own leave decides.
        if (video.session !== session || video.closing) return;
        if (timeoutMs === 0 || final) return this.closeVideo(video);
        video.cancelTimeout = this.schedule(timeoutMs, () => void this.closeVideo(video));
      },
    };
  }

  /** The stream was deleted while its video waited for the publisher: the video closes now. */
  async endForGood(stream: string): Promise<void> {
    const video = this.videos.get(stream);
    if (video) await this.closeVideo(video);
  }

  /**
   * The API answered keep: false for an open video (deleted through /v1 while recording): it is
   * recorded no further and its files are removed. False when no open video has that uid.
   */
  async discard(uid: string): Promise<boolean> {
    const video = [...this.videos.values()].find((open) => open.info.uid === uid);
    if (!video) return false;
    video.cancelTimeout?.();
    delete video.cancelTimeout;
    this.videos.delete(video.stream);
    video.finished = true;
    video.closing = this.enqueue(video, () => removeRecording(video.folder)).catch((error: unknown) => {
      this.options.logger.error({ err: error, video: uid }, 'removing a discarded recording failed');
    });
    await video.closing;
    this.options.logger.info({ stream: video.stream, video: uid }, 'recording discarded: the video was deleted');
    return true;
  }

  /**
   * The API answered stop_recording (its owner reached the recording quota): the open video with
   * this uid is closed now, as a ready VOD, and its session goes on live, unrecorded. False when
   * no open video has that uid.
   */
  async stopRecording(uid: string): Promise<boolean> {
    const video = [...this.videos.values()].find((open) => open.info.uid === uid);
    if (!video) return false;
    this.options.logger.info({ stream: video.stream, video: uid }, "recording stopped: the owner's recording quota is reached");
    await this.closeVideo(video);
    return true;
  }

  /** Closes every open video now (the origin stops): each plays up to here. */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.videos.values()].map((open) => this.closeVideo(open)));
  }

  /** `session`: the publish session it starts in (one past RECORDING_MAX_SECONDS continues its own). */
  private newVideo(stream: string, session = 0): Video {
    const uid = this.newUid();
    const video: Video = {
      stream,
      folder: recordingFolder(this.options.recordingsPath, stream, uid),
      playlist: { targetDurationSeconds: this.options.targetDurationSeconds, segments: [], ended: false },
      info: {
        uid,
        stream,
        created: new Date(this.now()).toISOString(),
        ended: null,
        duration_s: 0,
        size_bytes: 0,
        width: null,
        height: null,
      },
      session,
      queue: Promise.resolve(),
      folderReady: false,
      finished: false,
    };
    this.videos.set(stream, video);
    this.options.logger.info({ stream, video: uid }, 'recording a new video');
    return video;
  }

  private async add(video: Video, session: number, segment: RecordedSegment): Promise<void> {
    if (video.finished) return;
    if (!video.folderReady) {
      await createRecordingFolder(video.folder);
      video.folderReady = true;
    }
    const uri = recordingSegmentName(video.playlist.segments.length);
    await keepSegment(segment.file, join(video.folder, uri));
    const discontinuity = video.lastSegmentSession !== undefined && video.lastSegmentSession !== session;
    video.lastSegmentSession = session;
    video.playlist.segments.push({ uri, durationSeconds: Math.round(segment.durationSeconds * 1000) / 1000, discontinuity });
    video.info.duration_s = durationSecondsOf(video.playlist);
    video.info.size_bytes += segment.bytes;
    this.totals.bytes += segment.bytes;
    if (segment.width && segment.height) {
      video.info.width = segment.width;
      video.info.height = segment.height;
    }
    await writeRecording(video.folder, video.playlist, video.info);
    if (video.playlist.segments.length === 1) this.options.onChange?.(video.stream, video.info.uid);
    const { maxDurationSeconds } = this.options;
    if (maxDurationSeconds !== undefined && video.info.duration_s >= maxDurationSeconds) {
      video.full = true;
      this.options.logger.info({ stream: video.stream, video: video.info.uid, maxDurationSeconds }, 'recording reached RECORDING_MAX_SECONDS: a new video continues it');
      void this.closeVideo(video);
    }
  }

  private closeVideo(video: Video): Promise<void> {
    if (video.closing) return video.closing;
    video.cancelTimeout?.();
    delete video.cancelTimeout;
    if (this.videos.get(video.stream) === video) this.videos.delete(video.stream);
    const closed = this.enqueue(video, async () => {
      video.finished = true;
      if (video.playlist.segments.length === 0) {
        // A publish that never finished a segment leaves no video.
        await removeRecording(video.folder);
        return;
      }
      video.playlist.ended = true;
      video.info.ended = new Date(this.now()).toISOString();
      await writeRecording(video.folder, video.playlist, video.info);
      this.options.onChange?.(video.stream, video.info.uid);
      this.options.logger.info(
        { stream: video.stream, video: video.info.uid, durationSeconds: video.info.duration_s, bytes: video.info.size_bytes },
        'recording closed',
      );
    });
    video.closing = closed.catch((error: unknown) => {
      this.totals.failures += 1;
      this.options.logger.error({ err: error, video: video.info.uid }, 'closing a recording failed');
    });
    return video.closing;
  }

  private enqueue<T>(video: Video, operation: () => Promise<T>): Promise<T> {
    const result = video.queue.then(operation);
    video.queue = result.catch(() => undefined);
    return result;
  }
}
