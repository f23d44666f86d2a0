/**
 * Thumbnails of the videos this origin recorded and of its live streams, each made once from the
 * one segment that holds the moment (thumbnail-maker.ts) under the origin's bounds
 * (thumbnail-jobs.ts). A recording's thumbnail is kept in the recording's folder (deleting the
 * video removes it); a live stream's is kept in memory while its newest segment stays the newest.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../../service-kit/src/logger.js';
import type { ThumbnailQuery } from '../../../internal-api/src/thumbnail-query.js';
import { errorCode } from '../file-error-code.js';
import { PLAYLIST_FILE_NAME, SOURCE_PLAYLIST_FILE_NAME } from '../hls/hls-names.js';
import { countRecordingThumbnails, readRecordingPlaylist, readRecordingThumbnail, recordingThumbnailName, writeRecordingThumbnail } from '../recording/recording-files.js';
import { segmentAtTime } from '../recording/recording-timeline.js';
import { makeThumbnail, type ThumbnailJob } from './thumbnail-maker.js';
import type { ThumbnailJobs } from './thumbnail-jobs.js';

/** Live thumbnails kept (one per stream and height asked for); the oldest made goes first. */
const MAX_LIVE_THUMBNAILS = 256;

export interface ThumbnailsOptions {
  hlsPath: string;
  jobs: ThumbnailJobs;
  /** THUMBNAIL_TIMEOUT_MS */
  timeoutMs: number;
  /** THUMBNAILS_KEPT_PER_VIDEO */
  keptPerVideo: number;
  logger: Logger;
  /** The maker; tests may count its calls. */
  make?: (job: ThumbnailJob) => Promise<Buffer>;
}

interface LiveThumbnail {
  segmentUri: string;
  jpeg: Buffer;
}

export class Thumbnails {
  private readonly live = new Map<string, LiveThumbnail>();
  private readonly make: (job: ThumbnailJob) => Promise<Buffer>;

  constructor(private readonly options: ThumbnailsOptions) {
    this.make = options.make ?? makeThumbnail;
  }

  /** The thumbnail of a recording at `query`'s time; undefined while the recording has no segment. */
  async recorded(folder: string, query: ThumbnailQuery): Promise<Buffer | undefined> {
    const playlist = await readRecordingPlaylist(folder);
    const moment = playlist && segmentAtTime(playlist, query.timeTenths);
    if (!moment) return undefined;
    const name = recordingThumbnailName(moment.segment.uri, moment.offsetTenths, query.height);
    const kept = await readRecordingThumbnail(folder, name);
    if (kept) return kept;
    return this.options.jobs.run(join(folder, name), async () => {
      const jpeg = await this.make({
        segmentPath: join(folder, moment.segment.uri),
        offsetTenths: moment.offsetTenths,
        height: query.height,
        timeoutMs: this.options.timeoutMs,
      });
      // Not kept (the video was deleted meanwhile, the disk is full): answered all the same.
      await this.keep(folder, name, jpeg).catch((error: unknown) => this.options.logger.warn({ err: error, folder }, 'a thumbnail was made but not kept'));
      return jpeg;
    });
  }

  /**
   * Kept up to THUMBNAILS_KEPT_PER_VIDEO pictures a video: every distinct time and height is a
   * file, and viewers choose them. Past it a picture is still made and answered (edges keep it),
   * within the same bound on the work.
   */
  private async keep(folder: string, name: string, jpeg: Buffer): Promise<void> {
    if ((await countRecordingThumbnails(folder)) < this.options.keptPerVideo) await writeRecordingThumbnail(folder, name, jpeg);
  }

  /** The first frame (a keyframe) of the live stream's newest segment; undefined when it has none. */
  async latest(stream: string, query: ThumbnailQuery): Promise<Buffer | undefined> {
    const segmentUri = await this.newestSegment(stream);
    if (segmentUri === undefined) return undefined;
    const key = `${stream}/${query.height ?? 'source'}`;
    const kept = this.live.get(key);
    if (kept?.segmentUri === segmentUri) return kept.jpeg;
    return this.options.jobs.run(`live/${key}/${segmentUri}`, async () => {
      const jpeg = await this.make({
        segmentPath: join(this.options.hlsPath, stream, segmentUri),
        offsetTenths: 0,
        height: query.height,
        timeoutMs: this.options.timeoutMs,
      });
      this.live.delete(key);
      this.live.set(key, { segmentUri, jpeg });
      if (this.live.size > MAX_LIVE_THUMBNAILS) this.live.delete(this.live.keys().next().value as string);
      return jpeg;
    });
  }

  /** With ABR on, `index.m3u8` lists variants: the source's own playlist names its segments. */
  private async newestSegment(stream: string): Promise<string | undefined> {
    const text = await this.readPlaylist(stream, PLAYLIST_FILE_NAME);
    if (text === undefined || !/^#EXT-X-STREAM-INF:/m.test(text)) return text === undefined ? undefined : newestSegmentUri(text);
    const source = await this.readPlaylist(stream, SOURCE_PLAYLIST_FILE_NAME);
    return source === undefined ? undefined : newestSegmentUri(source);
  }

  private async readPlaylist(stream: string, file: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.options.hlsPath, stream, file), 'utf8');
    } catch (error) {
      if (['ENOENT', 'ENOTDIR'].includes(errorCode(error) ?? '')) return undefined;
      throw error;
    }
  }
}

/** The last segment URI a media playlist lists: the writer names them `<n>.ts`, beside the playlist. */
export function newestSegmentUri(playlistText: string): string | undefined {
  const uris = playlistText
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const uri = uris.at(-1);
  return uri !== undefined && /^[0-9]+\.ts$/.test(uri) ? uri : undefined;
}
