import type { Logger } from '../../../service-kit/src/logger.js';
import type { VideoReport, VideoReportAnswer } from '../../../internal-api/src/video-contract.js';
import { scheduleUnrefTimer, type CancelTimer, type ScheduleTimer } from '../schedule-timer.js';
import {
  clearWithdrawal,
  listRecordings,
  pendingWithdrawals,
  readRecordingInfo,
  recordingFolder,
  removeRecording,
} from './recording-files.js';
import type { RecordingInfo } from './recording-info.js';

/** The API's side of the videos registry (internal-api-client's methods). */
export interface VideoRegistry {
  reportVideo(uid: string, report: VideoReport): Promise<VideoReportAnswer>;
  withdrawVideo(uid: string, originId: string): Promise<void>;
}

/** A recording this origin holds and serves at `/videos/<uid>/…`. */
export interface HeldRecording {
  stream: string;
  folder: string;
  /** Closed (VOD, ENDLIST): its files never change again. */
  ready: boolean;
}

export interface VideoReporterOptions {
  registry: VideoRegistry;
  recordingsPath: string;
  /** ORIGIN_ID */
  originId: string;
  /** ORIGIN_HOST: where edges fetch the recordings from. */
  originHost: string;
  /** VIDEO_REPORT_INTERVAL_SECONDS, in ms. */
  intervalMs: number;
  /** An open video deleted through /v1: the recorder stops it and removes its files (false: it is not open). */
  discard: (uid: string) => Promise<boolean>;
  /** An open video whose owner reached the recording quota: the recorder closes it, ready (false: it is not open). */
  stopRecording: (uid: string) => Promise<boolean>;
  logger: Logger;
  schedule?: ScheduleTimer;
}

/**
 * Tells the API about every recording on this origin's disk (issue 12): at start, on each change
 * of state (the recorder's onChange), and every period, so that a lost report, an API that lost
 * its Redis, or a deletion through /v1 converges at the next one. The disk is the truth: each
 * period lists the recordings folder again. One report in flight per video (a change meanwhile is
 * reported once it is answered); a failed one waits for the next period. keep: false removes the
 * files; stop_recording closes an open video (its owner's quota is reached). Retention's removals
 * are withdrawn; a failed withdrawal stays noted on disk and is retried every period.
 */
export class VideoReporter {
  private readonly held = new Map<string, HeldRecording>();
  private readonly inFlight = new Set<string>();
  /** Changed while its report was in flight: reported again once that one is answered. */
  private readonly reportAgain = new Set<string>();
  private withdrawing?: Promise<void>;
  private readonly schedule: ScheduleTimer;
  private cancel?: CancelTimer;
  private sweeping?: Promise<void>;
  private stopped = false;

  constructor(private readonly options: VideoReporterOptions) {
    this.schedule = options.schedule ?? scheduleUnrefTimer;
  }

  /** After the crash recovery closed what a previous run left open. */
  start(): void {
    void this.sweep();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  /** The recording of `uid` when this origin holds it (listed by the last sweep or change). */
  recording(uid: string): HeldRecording | undefined {
    return this.held.get(uid);
  }

  /** The recorder changed a video's state: reported now. */
  changed(stream: string, uid: string): void {
    void this.report(stream, uid, recordingFolder(this.options.recordingsPath, stream, uid));
  }

  /** Retention removed recordings (and noted their withdrawals): the API is told now. */
  removed(): Promise<void> {
    return this.withdrawPending();
  }

  /**
   * Tells the API of every noted withdrawal, one at a time (one pass at a time); each confirmed
   * one is cleared, a failed one stays for the next period.
   */
  withdrawPending(): Promise<void> {
    this.withdrawing ??= this.withdrawOnce().finally(() => {
      this.withdrawing = undefined;
    });
    return this.withdrawing;
  }

  private async withdrawOnce(): Promise<void> {
    const { recordingsPath, registry, originId, logger } = this.options;
    try {
      for (const uid of await pendingWithdrawals(recordingsPath)) {
        this.held.delete(uid);
        // A report read before the files went may still be on its way: withdrawn before it
        // arrives, the video would be registered again. The next period withdraws it.
        if (this.inFlight.has(uid)) continue;
        try {
          await registry.withdrawVideo(uid, originId);
          await clearWithdrawal(recordingsPath, uid);
        } catch (error) {
          logger.warn({ err: error, video: uid }, 'withdrawing a removed recording failed; trying again at the next period');
        }
      }
    } catch (error) {
      logger.warn({ err: error }, 'listing the withdrawals failed; trying again at the next period');
    }
  }

  /** One sweep at a time; resolves when the current one is done (tests wait for it). */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
      if (!this.stopped) this.cancel = this.schedule(this.options.intervalMs, () => void this.sweep());
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    this.cancel?.();
    await this.withdrawPending();
    try {
      const found = await listRecordings(this.options.recordingsPath);
      const present = new Set(found.map((recording) => recording.uid));
      for (const uid of this.held.keys()) if (!present.has(uid)) this.held.delete(uid);
      // One after another: a period's reports never crowd the API's connections.
      for (const { stream, uid, folder } of found) await this.report(stream, uid, folder);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'listing the recordings failed; trying again at the next period');
    }
  }

  private async report(stream: string, uid: string, folder: string): Promise<void> {
    if (this.stopped) return;
    if (this.inFlight.has(uid)) {
      this.reportAgain.add(uid);
      return;
    }
    this.inFlight.add(uid);
    try {
      const info = await readRecordingInfo(folder).catch(() => undefined);
      // No segment listed yet (or recording.json unreadable): nothing to play, nothing to report.
      if (!info || info.uid !== uid) return;
      this.held.set(uid, { stream, folder, ready: info.ended !== null });
      const answer = await this.options.registry.reportVideo(uid, this.reportOf(info));
      if (!answer.keep) await this.remove(stream, uid, folder);
      // Its close changes the state: reported again below, as ready.
      else if (answer.stop_recording && info.ended === null) await this.options.stopRecording(uid);
    } catch (error) {
      this.options.logger.warn({ err: error, video: uid }, 'reporting a recording failed; trying again at the next period');
    } finally {
      this.inFlight.delete(uid);
      if (this.reportAgain.delete(uid)) void this.report(stream, uid, folder);
    }
  }

  private async remove(stream: string, uid: string, folder: string): Promise<void> {
    this.held.delete(uid);
    if (!(await this.options.discard(uid))) await removeRecording(folder);
    this.options.logger.info({ stream, video: uid }, 'removed a recording the API no longer keeps (deleted, or its stream is gone)');
  }

  private reportOf(info: RecordingInfo): VideoReport {
    return {
      stream: info.stream,
      origin_id: this.options.originId,
      origin_host: this.options.originHost,
      state: info.ended === null ? 'live-inprogress' : 'ready',
      created: info.created,
      ended: info.ended,
      duration_s: info.duration_s,
      size_bytes: info.size_bytes,
      width: info.width,
      height: info.height,
    };
  }
}
