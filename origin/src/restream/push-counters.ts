/** What every push tells as it goes, for the origin's metrics: totals over all targets. */
export interface PushCounters {
  /** Bytes the target's connection took since last told. */
  bytesSent(bytes: number): void;
  /** A failed connection will be tried again after its backoff. */
  retryScheduled(): void;
  /** A connection failed or was lost; `code` is the RestreamError's (RESTREAM_ERR_*). */
  failed(code: string): void;
  /** The backlog overflowed this many times: frames dropped up to the next keyframe. */
  keyframesSkipped(count: number): void;
}
