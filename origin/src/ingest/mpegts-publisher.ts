import { IncomingPublishBase } from './incoming-publish-base.js';
import { DEFAULT_MAX_PES_BYTES, MpegTsDemuxer, type MpegTsEvent } from '../mpegts/mpegts-demuxer.js';

/** Media received but not yet demuxed (about 13 s at 2.5 Mb/s): past it the origin is not keeping up. */
export const DEFAULT_MPEGTS_MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** Encoders repeat PAT and PMT several times a second: this much without them is not MPEG-TS with a program. */
export const MPEGTS_MAX_BYTES_WITHOUT_PROGRAM = 8 * 1024 * 1024;

export interface MpegTsPublisherOptions {
  id: string;
  /** The stream key the publisher sent (e.g. an SRT streamid's): secret, never logged. */
  requestedName: string;
  remoteAddress: string;
  /** The publisher is dropped (refused, revoked, or its media unusable): the transport closes its connection. */
  onDisconnect: (reason: string) => void;
  /** Bytes written and not yet demuxed; more gets the publisher dropped rather than buffered. */
  maxPendingBytes?: number;
  /** The largest video frame (PES) taken; a larger one is dropped. */
  maxPesBytes?: number;
}

/** What went wrong along the way, for the transport's log when the publish ends. */
export interface MpegTsPublisherStats {
  bytesIn: number;
  /** Bytes skipped to find packet alignment again. */
  resyncedBytes: number;
  droppedFrames: number;
  lastDropReason: string | undefined;
  /** Stream types of the program other than H.264 and AAC, which are ignored. */
  ignoredStreamTypes: number[];
}

/**
 * A publisher whose transport delivers MPEG-TS bytes in order (SRT, a pipe): `write` each chunk as
 * it arrives, `end` when the transport closes. The bytes are demuxed in process (no ffmpeg) into
 * the FLV tags an RTMP publisher produces, so the gate, packaging, restream and recording take it
 * as they take RTMP. Demuxing runs on the next turn of the event loop, so a transport's receive
 * handler returns at once; bytes that pile up unprocessed past `maxPendingBytes` mean the origin
 * cannot keep up, and the publisher is dropped rather than buffered without bound.
 */
export class MpegTsPublisher extends IncomingPublishBase {
  private readonly demuxer: MpegTsDemuxer;
  private readonly maxPendingBytes: number;
  private queue: Uint8Array[] = [];
  private pendingBytes = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private programSeen = false;
  private readonly counts: MpegTsPublisherStats = { bytesIn: 0, resyncedBytes: 0, droppedFrames: 0, lastDropReason: undefined, ignoredStreamTypes: [] };

  constructor(private readonly options: MpegTsPublisherOptions) {
    super(options.id, options.requestedName, options.remoteAddress);
    this.maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MPEGTS_MAX_PENDING_BYTES;
    this.demuxer = new MpegTsDemuxer({ maxPesBytes: options.maxPesBytes ?? DEFAULT_MAX_PES_BYTES });
  }

  get stats(): Readonly<MpegTsPublisherStats> {
    return this.counts;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The next bytes of the stream, in order; copied, so the caller may reuse its buffer. Ignored once closed. */
  write(chunk: Uint8Array): void {
    if (this.closed || chunk.byteLength === 0) return;
    this.counts.bytesIn += chunk.byteLength;
    this.pendingBytes += chunk.byteLength;
    if (this.pendingBytes > this.maxPendingBytes) {
      return this.drop(`the origin cannot keep up: more than ${this.maxPendingBytes} bytes of MPEG-TS wait to be demuxed`);
    }
    this.queue.push(Uint8Array.prototype.slice.call(chunk));
    this.scheduled ??= setImmediate(() => this.demuxPending());
  }

  /** The transport closed: what was written is demuxed, the last frame comes out, and the publish ends. */
  end(): void {
    if (this.closed) return;
    this.demuxPending();
    if (!this.closed) this.deliver(this.demuxer.end());
    this.finish();
  }

  /** The gate refused the publish or the origin dropped it: the transport is told to close. */
  disconnect(): void {
    this.drop('publish refused or ended by the origin');
  }

  private demuxPending(): void {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const chunks = this.queue;
    this.queue = [];
    this.pendingBytes = 0;
    for (const chunk of chunks) {
      if (this.closed) return;
      this.deliver(this.demuxer.push(chunk));
      if (!this.programSeen && this.counts.bytesIn > MPEGTS_MAX_BYTES_WITHOUT_PROGRAM) {
        this.drop(`no MPEG-TS program (PAT and PMT) in the first ${MPEGTS_MAX_BYTES_WITHOUT_PROGRAM} bytes`);
      }
    }
  }

  private deliver(events: readonly MpegTsEvent[]): void {
    for (const event of events) {
      if (this.closed) return;
      switch (event.kind) {
        case 'tag':
          try {
            this.sink(event.tag);
          } catch (error) {
            this.drop(`the pipeline refused the media: ${error instanceof Error ? error.message : String(error)}`);
          }
          break;
        case 'program':
          this.programSeen = true;
          this.counts.ignoredStreamTypes = event.ignoredStreamTypes;
          if (event.videoPid === undefined && event.audioPid === undefined) {
            const types = event.ignoredStreamTypes.map((type) => `0x${type.toString(16).padStart(2, '0')}`).join(', ') || 'none';
            this.drop(`the MPEG-TS program has no H.264 (0x1b) or AAC ADTS (0x0f) stream (stream types: ${types})`);
          }
          break;
        case 'dropped':
          this.counts.droppedFrames += 1;
          this.counts.lastDropReason = `${event.track}: ${event.reason}`;
          break;
        case 'resync':
          this.counts.resyncedBytes += event.skippedBytes;
          break;
      }
    }
  }

  private drop(reason: string): void {
    if (this.closed) return;
    this.options.onDisconnect(reason);
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.queue = [];
    this.pendingBytes = 0;
    this.notifyClosed();
  }
}
