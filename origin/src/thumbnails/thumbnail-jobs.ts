/**
 * Bounds the thumbnail work of one origin: at most `concurrency` jobs run at once (each an ffmpeg
 * process), at most `queueLimit` wait, and a job asked for again while it waits or runs is joined,
 * not started twice. No I/O and no clock here: the caller's job does the work.
 */

/** Every place in the queue is taken: the caller answers "busy, retry later". */
export class ThumbnailQueueFullError extends Error {
  override readonly name = 'ThumbnailQueueFullError';
  constructor(readonly queueLimit: number) {
    super(`${queueLimit} thumbnails already wait to be made`);
  }
}

export interface ThumbnailJobsOptions {
  /** THUMBNAIL_CONCURRENCY */
  concurrency: number;
  /** THUMBNAIL_QUEUE_LIMIT: jobs waiting beyond the running ones. */
  queueLimit: number;
}

interface Waiting {
  start: () => void;
}

export class ThumbnailJobs {
  private readonly pending = new Map<string, Promise<Buffer>>();
  private readonly queue: Waiting[] = [];
  private running = 0;

  constructor(private readonly options: ThumbnailJobsOptions) {}

  /** The job's result; the same promise for every caller of one key while it waits or runs. */
  run(key: string, job: () => Promise<Buffer>): Promise<Buffer> {
    const joined = this.pending.get(key);
    if (joined) return joined;
    if (this.running >= this.options.concurrency && this.queue.length >= this.options.queueLimit) {
      return Promise.reject(new ThumbnailQueueFullError(this.options.queueLimit));
    }
    const result = new Promise<Buffer>((resolve, reject) => {
      const start = (): void => {
        this.running += 1;
        // The place is free before the callers hear of the outcome, so they may ask again at once.
        const release = (): void => {
          this.running -= 1;
          this.pending.delete(key);
          this.queue.shift()?.start();
        };
        job().then(
          (jpeg) => {
            release();
            resolve(jpeg);
          },
          (error: unknown) => {
            release();
            reject(error);
          },
        );
      };
      if (this.running < this.options.concurrency) start();
      else this.queue.push({ start });
    });
    this.pending.set(key, result);
    return result;
  }

  /** Jobs running and waiting, for /stats. */
  counts(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.queue.length };
  }
}
