/**
 * One ABR rendition's LL-HLS output (`<height>p-ll.m3u8` and its CMAF parts), fed the frames
 * its MPEG-TS packager reads from ffmpeg. Its segments start only at the keyframes where the
 * source's LL segments started and carry the source's numbers, so a player can switch variants
 * at any segment; parts are cut on their own. The numbers are implicit in a playlist, so when
 * the next segment would not get the source's number (the first one, or after ffmpeg restarted
 * and skipped some), the rendition starts a playlist of its own numbered from there, and the old
 * one goes (requests it held are answered as for a missing playlist).
 */
import type { FrameStageConsumer, StageEvent } from '../media/frame-stage.js';
import type { LowLatencyStream, LowLatencyStreamOptions } from '../packaging/low-latency-stream.js';
import type { LowLatencyBoundaries } from './low-latency-boundaries.js';

/** Makes an LL output with the origin's settings (LowLatencyStreams.createUnlisted). */
export type CreateLowLatencyStream = (options: Pick<LowLatencyStreamOptions, 'firstMediaSequence' | 'rendition' | 'startsSegment' | 'segmentDates'>) => LowLatencyStream;

type TracksEvent = Extract<StageEvent, { kind: 'tracks' }>;

export class RenditionLowLatency implements FrameStageConsumer {
  private stream: LowLatencyStream | undefined;
  /** The tracks of the run in progress: a playlist started afresh needs them first. */
  private tracks: TracksEvent | undefined;
  private ended = false;

  constructor(
    private readonly rendition: string,
    private readonly boundaries: LowLatencyBoundaries,
    private readonly create: CreateLowLatencyStream,
  ) {}

  /** What the HTTP layer serves; undefined before the first segment starts. */
  get output(): LowLatencyStream | undefined {
    return this.stream;
  }

  take(events: readonly StageEvent[]): void {
    if (this.ended) return;
    for (const event of events) {
      if (event.kind === 'tracks') this.tracks = { ...event, changed: false };
      else if (event.frame.kind === 'avc-frame' && event.frame.keyframe) this.atKeyframe(event.frame.ptsMs);
      this.stream?.take([event]);
    }
  }

  flush(): void {
    this.stream?.flush();
  }

  /** The stream ended: ENDLIST. The output stays until the source's is cleaned up. */
  end(): void {
    this.ended = true;
    this.stream?.end();
  }

  close(): void {
    this.ended = true;
    this.stream?.close();
    this.stream = undefined;
  }

  private atKeyframe(ptsMs: number): void {
    const number = this.boundaries.find(ptsMs);
    if (number === undefined) return;
    const current = this.stream;
    if (current) {
      const next = current.playlist.nextMediaSequence + (current.segmentOpen ? 1 : 0);
      if (next === number) return;
    }
    current?.close();
    this.stream = this.create({
      firstMediaSequence: number,
      rendition: this.rendition,
      startsSegment: (keyframePtsMs) => this.boundaries.find(keyframePtsMs) !== undefined,
    });
    if (this.tracks) this.stream.take([this.tracks]);
  }
}
