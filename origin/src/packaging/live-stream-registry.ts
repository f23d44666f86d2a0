import type { Logger } from '../../../service-kit/src/logger.js';
import type { HlsDirectoryWriter } from '../hls/hls-directory-writer.js';
import type { FlvTag, IncomingPublish } from '../ingest/flv-tag-source.js';
import type { PublishGrant } from '../ingest/publish-authorizer.js';
import type { PublishTarget } from '../ingest/publish-gate.js';
import type { SegmentDelayStats } from './segment-delay-stats.js';
import { StreamPackager } from './stream-packager.js';

export interface LiveStreamRegistryOptions {
  hls: HlsDirectoryWriter;
  segmentSeconds: number;
  logger: Logger;
  delays: SegmentDelayStats;
  /** A publish ended (left, cut or refused media); the API releases its lease. */
  onPublishEnded?: (publish: LivePublishInfo) => void;
  /** Copies live streams to their restream targets. */
  restream?: {
    publishStarted(stream: string): (tag: FlvTag) => void;
    publishEnded(stream: string): void;
  };
}

/** What the API is told about each live publish in the origin's heartbeat. */
export interface LivePublishInfo {
  sessionId: string;
  stream: string;
  keyGeneration: number;
  /** Media bytes received since the publish started. */
  bytesIn: number;
}

interface LivePublish {
  publish: IncomingPublish;
  grant: PublishGrant;
  packager: StreamPackager;
  bytesIn: number;
}

/** The streams live on this origin: one publisher per public stream name. */
export class LiveStreamRegistry implements PublishTarget {
  private readonly live = new Map<string, LivePublish>();
  private readonly ending = new Set<Promise<void>>();

  constructor(private readonly options: LiveStreamRegistryOptions) {}

  get size(): number {
    return this.live.size;
  }

  publishes(): LivePublishInfo[] {
    return [...this.live.values()].map(info);
  }

  /** Cuts the given publish sessions (the API revoked their key or their stream). */
  disconnect(sessionIds: Iterable<string>): void {
    const wanted = new Set(sessionIds);
    for (const entry of this.live.values()) {
      if (!wanted.has(entry.publish.id)) continue;
      this.options.logger.warn({ stream: entry.grant.streamName, session: entry.publish.id }, 'publish revoked by the API: disconnected');
      entry.publish.disconnect();
    }
  }

  open(grant: PublishGrant, publish: IncomingPublish) {
    const { streamName } = grant;
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
    const entry: LivePublish = { publish, grant, packager, bytesIn: 0 };
    this.live.set(streamName, entry);
    const restream = this.options.restream?.publishStarted(streamName);
    return {
      sink: (tag: FlvTag) => {
        entry.bytesIn += tag.body.byteLength;
        packager.push(tag);
        restream?.(tag);
      },
      end: () => {
        if (this.live.get(streamName) === entry) this.live.delete(streamName);
        this.options.restream?.publishEnded(streamName);
        this.options.onPublishEnded?.(info(entry));
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

function info(entry: LivePublish): LivePublishInfo {
  return {
    sessionId: entry.publish.id,
    stream: entry.grant.streamName,
    keyGeneration: entry.grant.keyGeneration,
    bytesIn: entry.bytesIn,
  };
}
