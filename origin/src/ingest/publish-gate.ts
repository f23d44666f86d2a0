import type { Logger } from '../../../service-kit/src/logger.js';
import type { FlvTag, FlvTagSink, IncomingPublish } from './flv-tag-source.js';
import type { PublishAuthorizer, PublishGrant } from './publish-authorizer.js';
import type { PublishRefusal, PublishRefusalCounter } from './publish-refusal.js';

/** Where an authorized publish's media goes. Returns the sink and a function to call at the end. */
export interface PublishTarget {
  open(grant: PublishGrant, publish: IncomingPublish): { sink: FlvTagSink; end: () => void } | { refused: string; reason: PublishRefusal };
}

export interface PublishGateOptions {
  authorizer: PublishAuthorizer;
  target: PublishTarget;
  logger: Logger;
  /** Media held while the API decides; a publisher that sends more is disconnected. */
  maxPendingBytes: number;
  /** Counts refusals by reason (metrics). */
  refusals?: PublishRefusalCounter;
}

/**
 * Holds a new publish's media until the API has authorized it. Nothing of a denied or unanswered
 * publish reaches the packager; an allowed one gets its held media first, in order.
 */
export class PublishGate {
  constructor(private readonly options: PublishGateOptions) {}

  admit(publish: IncomingPublish): void {
    const { logger, maxPendingBytes, refusals } = this.options;
    const log = logger.child({ session: publish.id, app: publish.app, addr: publish.remoteAddress });
    const pending: FlvTag[] = [];
    let pendingBytes = 0;
    let closed = false;
    publish.setSink((tag) => {
      pendingBytes += tag.body.byteLength;
      if (pendingBytes > maxPendingBytes) {
        log.warn({ maxPendingBytes }, 'publisher sent too much media before authorization: disconnected');
        refusals?.publishRefused('early_media_overflow');
        // Tags already read from the socket arrive still: they are nobody's.
        publish.setSink(() => undefined);
        publish.disconnect();
        return;
      }
      pending.push({ type: tag.type, timestampMs: tag.timestampMs, body: Uint8Array.prototype.slice.call(tag.body) });
    });
    publish.onClose(() => {
      closed = true;
    });

    this.options.authorizer
      .authorize({ app: publish.app, name: publish.requestedName, addr: publish.remoteAddress, sessionId: publish.id })
      .then((decision) => {
        if (closed) return;
        if (!decision.allowed) {
          log.warn({ reason: decision.reason }, 'publish refused');
          refusals?.publishRefused(decision.refusal);
          publish.disconnect();
          return;
        }
        const opened = this.options.target.open(decision, publish);
        if ('refused' in opened) {
          log.warn({ stream: decision.streamName, reason: opened.refused }, 'publish refused');
          refusals?.publishRefused(opened.reason);
          publish.disconnect();
          return;
        }
        log.info({ stream: decision.streamName }, 'publish started');
        const { sink, end } = opened;
        publish.onClose(() => {
          log.info({ stream: decision.streamName }, 'publish ended');
          end();
        });
        for (const tag of pending.splice(0)) sink(tag);
        publish.setSink(sink);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'publish failed to start');
        refusals?.publishRefused('failed');
        publish.disconnect();
      });
  }
}
