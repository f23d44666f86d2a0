/**
 * What a push does with each tag, without sockets or timers: remember the sequence headers and
 * metadata, map timestamps, queue frames for the connection, and when the backlog passes its
 * bound drop the queue and restart at the next keyframe with the headers sent again.
 */
import { sameBytes } from '../media/byte-arrays.js';
import type { FlvTag } from '../ingest/flv-tag-source.js';
import { classifyTag, publishableMetadata } from './flv-tag-kind.js';
import { RestreamClock, type Track } from './restream-clock.js';

const TAG_AUDIO = 8;
const TAG_VIDEO = 9;
const TAG_SCRIPT = 18;
/** Dropped queue entries are compacted away once there are this many. */
const COMPACT_AFTER = 1024;

export interface OutgoingFrame {
  type: number;
  /** Connection time, ms. */
  timestampMs: number;
  body: Uint8Array;
}

export interface BacklogLimits {
  /** Queued bytes plus what the connection still holds. */
  maxBacklogBytes: number;
  /** Media time between the oldest and the newest queued frame. */
  maxBacklogMs: number;
}

/** Gives a body a push may keep: its own copy, or one shared by every push of a stream. */
export type KeepBody = (body: Uint8Array) => Uint8Array;

/** A copy whatever the view: `Buffer#slice` would share the ingest's memory, which it reuses. */
export function copyBody(body: Uint8Array): Uint8Array {
  return new Uint8Array(body);
}

export class PushPipeline {
  private queue: OutgoingFrame[] = [];
  private head = 0;
  private bytes = 0;
  private videoConfig: Uint8Array | undefined;
  private audioConfig: Uint8Array | undefined;
  private metadata: Uint8Array | undefined;
  /** The sequence headers this connection started with. */
  private sentVideoConfig: Uint8Array | undefined;
  private sentAudioConfig: Uint8Array | undefined;
  private hasVideo = false;
  private connected = false;
  /** Frames wait for a keyframe (or, without video, any audio frame) before flowing again. */
  private waiting = true;
  /** The wait follows a skip: what it drops counts as skipped. */
  private skipping = false;
  private readonly clock = new RestreamClock();

  droppedFrames = 0;
  skippedKeyframes = 0;
  /** A sequence header differs from the one this connection started with: reconnect. */
  codecChanged = false;

  constructor(private readonly limits: BacklogLimits) {}

  get queuedBytes(): number {
    return this.bytes;
  }

  get queuedFrames(): number {
    return this.queue.length - this.head;
  }

  /** `connectionBacklog`: bytes the connection holds but has not sent, for the bound. */
  accept(tag: FlvTag, keep: KeepBody, connectionBacklog: number): void {
    const kind = classifyTag(tag.type, tag.body);
    switch (kind) {
      case 'ignored':
      case 'end-of-sequence':
        return;
      case 'metadata': {
        const publishable = publishableMetadata(tag.body);
        this.metadata = publishable === tag.body ? keep(tag.body) : publishable;
        if (this.flowing()) this.enqueue(TAG_SCRIPT, this.clock.connectionNow(), this.metadata);
        return;
      }
      case 'data':
        if (this.flowing()) this.enqueue(TAG_SCRIPT, this.clock.connectionNow(), keep(tag.body));
        return;
      case 'video-config':
        this.hasVideo = true;
        this.videoConfig = keep(tag.body);
        if (this.flowing()) this.sendConfig('video', this.clock.connectionNow(), this.videoConfig);
        return;
      case 'audio-config':
        this.audioConfig = keep(tag.body);
        if (this.flowing()) this.sendConfig('audio', this.clock.connectionNow(), this.audioConfig);
        return;
      default:
        break;
    }
    const track: Track = kind === 'audio' ? 'audio' : 'video';
    if (track === 'video') this.hasVideo = true;
    const continuous = this.clock.continuous(track, tag.timestampMs);
    if (!this.connected) return;
    if (this.waiting) {
      const resumes = kind === 'video-key' || (kind === 'audio' && !this.hasVideo);
      if (!resumes) {
        if (this.skipping) this.droppedFrames += 1;
        return;
      }
    }
    const time = this.clock.connectionTime(track, continuous);
    if (time === undefined) return;
    if (this.waiting) {
      this.waiting = false;
      this.skipping = false;
      this.sendHeaders(time);
    }
    this.enqueue(tag.type, time, keep(tag.body));
    if (this.overflowing(connectionBacklog)) this.skip();
  }

  /** The next frame for the connection. */
  shift(): OutgoingFrame | undefined {
    if (this.head >= this.queue.length) return undefined;
    const frame = this.queue[this.head]!;
    this.head += 1;
    this.bytes -= frame.body.length;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  /** A new connection: its time starts at 0 with the next keyframe, headers first. */
  connectionStarted(): void {
    this.clear();
    this.connected = true;
    this.waiting = true;
    this.skipping = false;
    this.codecChanged = false;
    this.sentVideoConfig = undefined;
    this.sentAudioConfig = undefined;
    this.clock.startConnection();
  }

  connectionEnded(): void {
    this.connected = false;
    this.clear();
  }

  /**
   * The publisher left or came back, or a fallback video took over. Queued frames still go out;
   * the next source's frames continue the timeline from its first keyframe, after its sequence
   * headers. `newEncoding`: those headers may differ and are sent on this connection (a fallback
   * and the live stream never match); otherwise a different header asks for a new publish.
   */
  sourceRestarted(newEncoding = false): void {
    this.clock.sourceRestarted();
    this.waiting = true;
    this.skipping = false;
    if (newEncoding) {
      this.sentVideoConfig = undefined;
      this.sentAudioConfig = undefined;
    }
  }

  private flowing(): boolean {
    return this.connected && !this.waiting;
  }

  private sendHeaders(time: number): void {
    if (this.metadata) this.enqueue(TAG_SCRIPT, time, this.metadata);
    if (this.videoConfig) this.sendConfig('video', time, this.videoConfig);
    if (this.audioConfig) this.sendConfig('audio', time, this.audioConfig);
  }

  /** Sends a sequence header unless the connection started with a different one. */
  private sendConfig(track: Track, time: number, config: Uint8Array): void {
    const sent = track === 'video' ? this.sentVideoConfig : this.sentAudioConfig;
    if (sent === undefined) {
      if (track === 'video') this.sentVideoConfig = config;
      else this.sentAudioConfig = config;
    } else if (!sameBytes(sent, config)) {
      // Platforms keep the first configuration of a publish; a new one needs a new publish.
      this.codecChanged = true;
      return;
    }
    this.enqueue(track === 'video' ? TAG_VIDEO : TAG_AUDIO, time, config);
  }

  private enqueue(type: number, timestampMs: number, body: Uint8Array): void {
    this.queue.push({ type, timestampMs, body });
    this.bytes += body.length;
  }

  private overflowing(connectionBacklog: number): boolean {
    if (this.bytes + connectionBacklog > this.limits.maxBacklogBytes) return true;
    const oldest = this.queue[this.head];
    const newest = this.queue[this.queue.length - 1];
    return oldest !== undefined && newest !== undefined && newest.timestampMs - oldest.timestampMs > this.limits.maxBacklogMs;
  }

  private skip(): void {
    this.droppedFrames += this.queuedFrames;
    this.skippedKeyframes += 1;
    this.clear();
    this.waiting = true;
    this.skipping = true;
  }

  private clear(): void {
    this.queue = [];
    this.head = 0;
    this.bytes = 0;
  }
}

