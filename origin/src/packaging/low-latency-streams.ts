import { scheduleUnrefTimer, type CancelTimer, type ScheduleTimer } from '../schedule-timer.js';
import { LowLatencyStream, type LowLatencyStreamOptions } from './low-latency-stream.js';
import type { SegmentSpill } from './segment-spill.js';

export interface LowLatencyStreamsOptions extends Omit<LowLatencyStreamOptions, 'firstMediaSequence' | 'schedule' | 'spill' | 'onSpillError'> {
  /** HLS_CLEANUP_AFTER_END_SECONDS: how long an ended stream stays, ENDLIST and all, unless it starts again. */
  cleanupAfterEndSeconds: number;
  /** Default: the clock in milliseconds, so that a stream started afresh never reuses a name an edge cached as immutable. */
  firstMediaSequence?: (streamName: string) => number;
  /** Runs deletions and cleanups. Default: Node's timers, unref'd. */
  schedule?: ScheduleTimer;
  /** Where a stream's older finished segments go (LowLatencyStreamOptions.spill); without it all stay in memory. */
  spill?: (streamName: string) => SegmentSpill;
  /** A stream's spill failed (LowLatencyStreamOptions.onSpillError). */
  onSpillError?: (streamName: string, error: unknown) => void;
}

interface Entry {
  stream: LowLatencyStream;
  cancelCleanup?: CancelTimer;
}

/**
 * The LL-HLS streams of this origin, by name, as HlsDirectoryWriter keeps the MPEG-TS folders: a
 * stream that ends stays for HLS_CLEANUP_AFTER_END_SECONDS (late viewers get ENDLIST, a returning
 * publisher continues it after a discontinuity), then goes.
 */
export class LowLatencyStreams {
  private readonly streams = new Map<string, Entry>();
  private readonly schedule: ScheduleTimer;

  constructor(private readonly options: LowLatencyStreamsOptions) {
    this.schedule = options.schedule ?? scheduleUnrefTimer;
  }

  /** What the HTTP layer serves; undefined for a stream that is not (or no longer) here. */
  get(name: string): LowLatencyStream | undefined {
    return this.streams.get(name)?.stream;
  }

  /** A source starts feeding `name`: the stream it continues, or a new one. */
  start(name: string): LowLatencyStream {
    const known = this.streams.get(name);
    if (known) {
      known.cancelCleanup?.();
      delete known.cancelCleanup;
      known.stream.resume();
      return known.stream;
    }
    const { cleanupAfterEndSeconds: _cleanup, firstMediaSequence = () => Date.now(), spill, onSpillError, ...options } = this.options;
    const stream = new LowLatencyStream({
      ...options,
      firstMediaSequence: firstMediaSequence(name),
      schedule: this.schedule,
      spill: spill?.(name),
      onSpillError: onSpillError && ((error) => onSpillError(name, error)),
    });
    this.streams.set(name, { stream });
    return stream;
  }

  /**
   * A stream with this origin's LL settings that is not listed here by name: an ABR rendition of
   * `streamName`, which its ladder keeps (attached to the source's, whose cleanup closes it). Its
   * segments are spilled to the source's folder: their names carry the rendition's (`360p-…`).
   */
  createUnlisted(
    streamName: string,
    options: Pick<LowLatencyStreamOptions, 'firstMediaSequence' | 'rendition' | 'startsSegment' | 'segmentDates'>,
  ): LowLatencyStream {
    const { cleanupAfterEndSeconds: _cleanup, firstMediaSequence: _first, spill, onSpillError, ...settings } = this.options;
    return new LowLatencyStream({
      ...settings,
      ...options,
      schedule: this.schedule,
      spill: spill?.(streamName),
      onSpillError: onSpillError && ((error) => onSpillError(streamName, error)),
    });
  }

  /** Nothing feeds `name` any more (ended or handed over): it goes after HLS_CLEANUP_AFTER_END_SECONDS. */
  finished(name: string): void {
    const entry = this.streams.get(name);
    if (!entry || entry.cancelCleanup) return;
    entry.cancelCleanup = this.schedule(this.options.cleanupAfterEndSeconds * 1000, () => {
      if (this.streams.get(name) !== entry) return;
      this.streams.delete(name);
      entry.stream.close();
    });
  }

  /** The origin stops: every stream goes now. */
  close(): void {
    for (const entry of this.streams.values()) {
      entry.cancelCleanup?.();
      entry.stream.close();
    }
    this.streams.clear();
  }
}
