/**
 * The `ingest` of each publish in the heartbeat: bitrate and frame rate between two readings of
 * the publish, and its tracks as the packager decided them. No clock: the caller measures the
 * interval. Every value is kept inside the contract's bounds, so a publisher's odd SPS or
 * timestamps never make the whole heartbeat invalid.
 */
import type { PublishAbrStatus } from '../../../internal-api/src/abr-contract.js';
import type { PublishIngest } from '../../../internal-api/src/ingest-contract.js';
import { aacChannelCount } from '../media/aac-config.js';
import { framesPerSecond, type VideoFrameCount } from '../media/video-frame-counter.js';
import type { LivePublishInfo } from '../packaging/live-stream-registry.js';

/** What the next report of the same publish measures from. */
export interface PublishReading {
  bytesIn: number;
  videoFrames: VideoFrameCount;
}

/** The contract's bound on a picture side. */
const MAX_PICTURE_SIDE = 65535;

export function readingOf(publish: LivePublishInfo): PublishReading {
  return { bytesIn: publish.bytesIn, videoFrames: publish.media.videoFrames };
}

/**
 * `previous`: the reading one interval ago, undefined for a publish that started since (its bytes
 * then count from its start). `seconds`: the interval's length.
 */
export function ingestReport(publish: LivePublishInfo, previous: PublishReading | undefined, seconds: number): PublishIngest {
  const bytes = Math.max(publish.bytesIn - (previous?.bytesIn ?? 0), 0);
  const { tracks } = publish.media;
  const video = tracks?.video;
  const audio = tracks?.audio;
  return {
    bitrate_bps: Math.round((bytes * 8) / Math.max(seconds, 0.001)),
    video: video
      ? {
          codec: video.codec,
          width: pictureSide(video.width),
          height: pictureSide(video.height),
          fps: framesPerSecond(previous?.videoFrames, publish.media.videoFrames),
        }
      : null,
    audio: audio ? { codec: audio.codec, sample_rate: audio.sampleRate, channels: aacChannelCount(audio.channels) } : null,
    ...(publish.abr ? { abr: abrReport(publish.abr) } : {}),
  };
}

function pictureSide(pixels: number | undefined): number | null {
  return pixels !== undefined && Number.isInteger(pixels) && pixels >= 1 && pixels <= MAX_PICTURE_SIDE ? pixels : null;
}

function abrReport(abr: NonNullable<LivePublishInfo['abr']>): PublishAbrStatus {
  const report: PublishAbrStatus = { state: abr.state, renditions: [...abr.renditions], restarts: abr.restarts };
  if ('lastStop' in abr && abr.lastStop) report.last_stop = abr.lastStop.slice(0, 512);
  return report;
}
