import type { Logger } from '../../../service-kit/src/logger.js';
import type { HlsStreamWriter } from '../hls/hls-stream-writer.js';
import type { FlvTag } from '../ingest/flv-tag-source.js';
import { HlsSegmenter, type Segment, type SegmenterEvent } from '../media/index.js';
import type { SegmentDelayStats } from './segment-delay-stats.js';

export interface StreamPackagerOptions {
  streamName: string;
  segmentSeconds: number;
  /** Resolves once the stream's folder is ready; segments wait for it. */
  writer: Promise<HlsStreamWriter>;
  logger: Logger;
  delays: SegmentDelayStats;
  /** The publisher sent something we cannot package: it is disconnected. */
  onRejected: (reason: string) => void;
}

/**
 * One live publish turned into HLS: FLV tags go through the segmenter, finished segments and the
 * playlist are written in order. Publish sessions of the same stream share its writer, so a
 * publisher that reconnects continues the playlist after a discontinuity.
 */
export class StreamPackager {
  private readonly segmenter: HlsSegmenter;
  private writes: Promise<void> = Promise.resolve();
  private sessionStart?: { wallMs: number; dtsMs: number };

  constructor(private readonly options: StreamPackagerOptions) {
    this.segmenter = new HlsSegmenter({ targetDurationSeconds: options.segmentSeconds });
  }

  push(tag: FlvTag): void {
    this.sessionStart ??= { wallMs: Date.now(), dtsMs: tag.timestampMs };
    this.handle(this.segmenter.push(tag), performance.now());
  }

  /** The publisher left: the segment in progress is written, then the playlist ends. */
  end(): Promise<void> {
    this.handle(this.segmenter.flush(), performance.now());
    this.writes = this.writes.then(async () => (await this.options.writer).end());
    return this.writes.catch((error: unknown) => this.options.logger.error({ err: error }, 'ending the playlist failed'));
  }

  private handle(events: readonly SegmenterEvent[], receivedAt: number): void {
    for (const event of events) {
      if (event.kind === 'segment') this.write(event.segment, receivedAt);
      else if (event.kind === 'tracks') this.options.logger.info({ tracks: event.tracks }, 'tracks');
      else this.options.onRejected(event.reason);
    }
  }

  private write(segment: Segment, receivedAt: number): void {
    const start = this.sessionStart ?? { wallMs: Date.now(), dtsMs: segment.firstDtsMs };
    // The wall-clock time of the segment's first frame, from the time the publish started.
    const programDateTime = new Date(start.wallMs + (segment.firstDtsMs - start.dtsMs));
    this.writes = this.writes
      .then(async () => {
        const writer = await this.options.writer;
        await writer.writeSegment(segment.data, {
          durationSeconds: segment.durationSeconds,
          programDateTime,
          discontinuity: segment.discontinuity,
        });
        this.options.delays.record(performance.now() - receivedAt);
        this.segmenter.recycle(segment);
      })
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'writing a segment failed: it is skipped');
      });
  }
}
