import { FallbackBusyError, FallbackInProgressError, TooManyUploadsError } from '../errors.js';
import { limitFor } from '../user-limits.js';

/** Retry-After of a 503 when this instance takes no more uploads. */
const BUSY_RETRY_AFTER_S = 10;

export interface UploadAdmissionLimits {
  /** FALLBACK_MAX_UPLOADS */
  maxUploads: number;
  /** FALLBACK_MAX_UPLOADS_PER_USER */
  maxUploadsPerUser: number;
}

/**
 * Which fallback uploads this API instance has under way, from the first byte of the body to the
 * stored file: one per stream, FALLBACK_MAX_UPLOADS_PER_USER per user, FALLBACK_MAX_UPLOADS in
 * all. That bounds the disk held by spooled bodies (each at most FALLBACK_MAX_BYTES) and the
 * queue for conversion slots, and no single user can take every upload.
 */
export class UploadAdmission {
  private readonly streams = new Set<string>();
  private readonly perUser = new Map<string, number>();

  constructor(private readonly limits: UploadAdmissionLimits) {}

  /** Throws FallbackInProgressError (409), TooManyUploadsError (429) or FallbackBusyError (503); else the release function. */
  admit(userId: string, streamId: string): () => void {
    if (this.streams.has(streamId)) throw new FallbackInProgressError(streamId);
    const userUploads = this.perUser.get(userId) ?? 0;
    if (userUploads >= limitFor(userId, this.limits.maxUploadsPerUser)) throw new TooManyUploadsError(this.limits.maxUploadsPerUser);
    if (this.streams.size >= this.limits.maxUploads) throw new FallbackBusyError(this.limits.maxUploads, BUSY_RETRY_AFTER_S);
    this.streams.add(streamId);
    this.perUser.set(userId, userUploads + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.streams.delete(streamId);
      const left = (this.perUser.get(userId) ?? 1) - 1;
      if (left === 0) this.perUser.delete(userId);
      else this.perUser.set(userId, left);
    };
  }
}
