import type { Logger } from '../../../service-kit/src/logger.js';
import { SrtListener, type SrtAuthorization } from '../srt/srt-listener.js';
import type { SrtConnection } from '../srt/srt-connection.js';
import { SRT_REJECTION } from '../srt/srt-rejection.js';
import { MpegTsPublisher } from './mpegts-publisher.js';
import type { PublishTarget } from './publish-gate.js';
import type { PublishAuthorizer } from './publish-authorizer.js';
import type { PublishRefusal, PublishRefusalCounter } from './publish-refusal.js';
import { newPublishSessionId } from './publish-session-id.js';
import type { SrtIngestSettings } from './srt-ingest-settings.js';
import { readSrtStreamId } from './srt-stream-id.js';
import { LivePublishers } from './live-publishers.js';

export interface SrtIngestOptions {
  settings: SrtIngestSettings;
  authorizer: PublishAuthorizer;
  target: PublishTarget;
  logger: Logger;
  refusals?: PublishRefusalCounter;
}

/** An authorized caller's publish, opened on the target before the caller is told yes. */
interface SrtPublish {
  publisher: MpegTsPublisher;
  log: Logger;
  connection?: SrtConnection;
}

/**
 * SRT ingest: the origin's SRT listener, whose callers' stream ids are authorized through the API
 * (as an RTMP key is) during the handshake, so a refused caller hears an SRT rejection code and
 * sends no media. An allowed caller's MPEG-TS goes into an MpegTsPublisher opened on the same
 * publish target as RTMP and WebSocket (packaging, restream, recording, fallback, discovery).
 */
export class SrtIngest {
  private readonly listener: SrtListener<SrtPublish>;
  private readonly publishers = new LivePublishers<MpegTsPublisher>();
  private accepting = true;

  constructor(private readonly options: SrtIngestOptions) {
    this.listener = new SrtListener<SrtPublish>({
      ...options.settings,
      logger: options.logger,
      authorize: (streamId, remoteAddress) => this.authorize(streamId, remoteAddress),
      onConnection: (connection, publish) => this.attach(connection, publish),
    });
  }

  listen(): Promise<number> {
    return this.listener.listen();
  }

  get size(): number {
    return this.publishers.size;
  }

  stopAccepting(): void {
    this.accepting = false;
  }

  /** Resolves once no SRT publish is live (at once when none is): the drain waits for it. */
  whenNoPublishers(): Promise<void> {
    return this.publishers.whenEmpty();
  }

  async close(): Promise<void> {
    this.accepting = false;
    await this.listener.close();
  }

  private async authorize(streamId: string, remoteAddress: string): Promise<SrtAuthorization<SrtPublish>> {
    const { logger, refusals, target } = this.options;
    const reading = readSrtStreamId(streamId);
    if (reading.kind === 'refused') {
      logger.warn({ protocol: 'srt', addr: remoteAddress, why: reading.why }, 'SRT caller refused: its streamid names no publish');
      return { accept: false, code: reading.why === 'not_publish' ? SRT_REJECTION.badMode : SRT_REJECTION.badRequest };
    }
    if (!this.accepting) {
      refusals?.publishRefused('shutting_down');
      return { accept: false, code: SRT_REJECTION.down };
    }
    const id = newPublishSessionId();
    const log = logger.child({ session: id, protocol: 'srt', addr: remoteAddress });
    const decision = await this.options.authorizer.authorize({ app: 'stream', name: reading.streamKey, addr: remoteAddress, sessionId: id });
    if (!decision.allowed) {
      log.warn({ reason: decision.reason }, 'publish refused');
      refusals?.publishRefused(decision.refusal);
      return { accept: false, code: rejectionFor(decision.refusal) };
    }
    const publish: SrtPublish = {
      log,
      publisher: new MpegTsPublisher({
        id,
        requestedName: reading.streamKey,
        remoteAddress,
        onDisconnect: (reason) => {
          log.warn({ stream: decision.streamName, reason }, 'SRT publisher dropped');
          publish.connection?.close();
        },
      }),
    };
    const opened = target.open(decision, publish.publisher);
    if ('refused' in opened) {
      log.warn({ stream: decision.streamName, reason: opened.refused }, 'publish refused');
      refusals?.publishRefused(opened.reason);
      return { accept: false, code: rejectionFor(opened.reason) };
    }
    log.info({ stream: decision.streamName }, 'publish started');
    this.publishers.add(publish.publisher);
    publish.publisher.setSink(opened.sink);
    publish.publisher.onClose(() => {
      this.publishers.delete(publish.publisher);
      log.info({ stream: decision.streamName, media: publish.publisher.stats, srt: publish.connection?.stats }, 'publish ended');
      opened.end();
    });
    return { accept: true, grant: publish };
  }

  private attach(connection: SrtConnection, publish: SrtPublish): void {
    publish.connection = connection;
    const { publisher } = publish;
    if (publisher.isClosed) return connection.close();
    connection.onPayload((payload) => publisher.write(payload));
    connection.onClose((reason) => {
      publish.log.info({ reason, latencyMs: connection.latencyMs }, 'SRT caller gone');
      publisher.end();
    });
  }
}

/** The SRT rejection a caller hears for each refusal. */
function rejectionFor(refusal: PublishRefusal): number {
  switch (refusal) {
    case 'denied':
      return SRT_REJECTION.forbidden;
    case 'already_live':
      return SRT_REJECTION.conflict;
    case 'api_unavailable':
    case 'shutting_down':
      return SRT_REJECTION.down;
    case 'early_media_overflow':
    case 'bad_media':
    case 'failed':
      return SRT_REJECTION.internalError;
  }
}
