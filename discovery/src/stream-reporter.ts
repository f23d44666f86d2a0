/** What the API needs to send viewers of `name` to this origin. */
export interface StreamReport {
  name: string;
  /** The playlist path relative to the stream folder, e.g. `index.m3u8`. */
  manifest: string;
  /**
   * When the manifest write that caused this report happened (its mtime, ms since the epoch):
   * set when a write made the stream live or ended it, not on heartbeats. Not sent to the API.
   */
  writtenAt?: number;
}

/** A stream whose playlist ended (or went stale): the API keeps offering it, as ended, for a while. */
export interface EndedStreamReport extends StreamReport {
  graceSeconds: number;
}

/**
 * The narrow interface the tracker reports through; the HTTP implementation is `ApiReporter`.
 * Each call is one attempt: it resolves once the API accepted it and throws otherwise
 * (internal-api/src/internal-api-errors.ts); retrying is the report outbox's job.
 */
export interface StreamReporter {
  /** Registers or refreshes this origin for the stream. */
  register(report: StreamReport): Promise<void>;
  /** Reports that this origin's copy of the stream ended; it stays playable for `graceSeconds`. */
  end(report: EndedStreamReport): Promise<void>;
  /** Withdraws this origin's registration of the stream. */
  withdraw(name: string): Promise<void>;
}
