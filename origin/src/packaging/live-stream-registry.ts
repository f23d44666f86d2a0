import type { Logger } from '../../../service-kit/src/logger.js';
import type { HlsDirectoryWriter } from '../hls/hls-directory-writer.js';
import type { IncomingPublish } from '../ingest/flv-tag-source.js';
import type { PublishTarget } from '../ingest/publish-gate.js';
import type { SegmentDelayStats } from './segment-delay-stats.js';
import { StreamPackager } from './stream-packager.js';

export interface LiveStreamRegistryOptions {
  hls: HlsDirectoryWriter;
  segmentSeconds: number;
  logger: Logger;
  delays: SegmentDelayStats;
}

/** The streams live on this origin: one publisher per public stream name. */
export class LiveStreamRegistry implements PublishTarget {
  private readonly live = new Map<string, { publish: IncomingPublish; packager: StreamPackager }>();
  private readonly ending = new Set<Promise<void>>();

  constructor(private readonly options: LiveStreamRegistryOptions) {}

  get size(): number {
    return this.live.size;
  }

  open(streamName: string, publish: IncomingPublish) {
    if (this.live.has(streamName)) return { refused: `stream "${streamName}" is already live on this origin` };
    const logger = this.options.logger.child({ stream: streamName, session: publish.id });
    const writer = this.options.hls.startStream(streamName);
    writer.catch((error: unknown) => {
      logger.error({ err: error }, 'cannot write HLS for this stream: publisher disconnected');
      publish.disconnect();
    });
    const packager = new StreamPackager({
      streamName,
      segmentSeconds: this.options.segmentSeconds,
      writer,
      logger,
      delays: this.options.delays,
      onRejected: (reason) => {
        logger.warn({ reason }, 'publish refused: media cannot be packaged');
        publish.disconnect();
      },
    });
    this.live.set(streamName, { publish, packager });
    return {
      sink: (tag: Parameters<StreamPackager['push']>[0]) => packager.push(tag),
      end: () => {
        if (this.live.get(streamName)?.packager === packager) this.live.delete(streamName);
        const ended = packager.end();
        this.ending.add(ended);
        void ended.finally(() => this.ending.delete(ended));
      },
    };
  }

  /** Disconnects every publisher and waits until their playlists are ended. */
  async closeAll(): Promise<void> {
    for (const { publish } of this.live.values()) publish.disconnect();
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(this.ending);
  }
}
