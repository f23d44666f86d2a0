import type { Logger } from '../../../service-kit/src/logger.js';
import { scheduleUnrefTimer, type CancelTimer, type ScheduleTimer } from '../schedule-timer.js';
import { removeExpiredRecordings } from './recording-recovery.js';

const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RecordingRetentionOptions {
  recordingsPath: string;
  /** RECORDING_RETENTION_DAYS */
  retentionDays: number;
  logger: Logger;
  schedule?: ScheduleTimer;
  now?: () => number;
  /** The recording folders a sweep removed (the videos reporter withdraws them from the API). */
  onRemoved?: (folders: string[]) => void;
}

/** Removes closed recordings past RECORDING_RETENTION_DAYS: once at start, then every hour. */
export class RecordingRetention {
  private cancel?: CancelTimer;
  private stopped = false;

  constructor(private readonly options: RecordingRetentionOptions) {}

  start(): void {
    void this.sweep();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  private async sweep(): Promise<void> {
    const { recordingsPath, retentionDays, logger, now = Date.now, schedule = scheduleUnrefTimer } = this.options;
    try {
      const removed = await removeExpiredRecordings(recordingsPath, retentionDays * DAY_MS, now());
      if (removed.length > 0) {
        logger.info({ removed: removed.length, retentionDays }, 'removed recordings past their retention');
        this.options.onRemoved?.(removed);
      }
    } catch (error) {
      logger.warn({ err: error }, 'the recordings retention sweep failed; it runs again in an hour');
    }
    if (!this.stopped) this.cancel = schedule(SWEEP_INTERVAL_MS, () => void this.sweep());
  }
}
