import type { FlvTagSink, IncomingPublish } from './flv-tag-source.js';

/**
 * What every publisher fed by the origin itself (WebSocket, MPEG-TS over SRT) shares: who it is,
 * where its tags go, and telling the close listeners once. RTMP's connection has its own.
 */
export abstract class IncomingPublishBase implements IncomingPublish {
  readonly app = 'stream';
  protected sink: FlvTagSink = () => undefined;
  protected closed = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    readonly id: string,
    /** The stream key the publisher sent: secret, never logged. */
    readonly requestedName: string,
    readonly remoteAddress: string,
  ) {}

  setSink(sink: FlvTagSink): void {
    this.sink = sink;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  abstract disconnect(): void;

  /** Runs the close listeners, once; the subclass sets `closed` when it starts closing. */
  protected notifyClosed(): void {
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
