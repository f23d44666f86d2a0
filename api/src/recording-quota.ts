import { ADMIN_USER_ID } from './auth/authenticator.js';
import type { UserStore } from './store/user-store.js';
import type { VideoStore } from './store/video-store.js';

/** What /v1/me and the admin's user view show of a user's recordings. */
export interface StorageUse {
  /** Bytes of the user's videos (live-inprogress and ready), as their origins last reported them. */
  usedBytes: number;
  /** The user's recording quota; null: not limited (the built-in admin). */
  quotaBytes: number | null;
}

/**
 * The per-user recording quota (RECORDING_QUOTA_BYTES, or the admin's override for the user).
 * Enforced at the granularity of the origins' reports: a user at or over it gets no new
 * recording (the publish itself goes on, live), and an in-progress recording is closed, as a
 * ready video, by the answer to the report that shows the quota reached. Nothing recorded is
 * ever deleted for it. The built-in admin is not limited (user-limits.ts says why).
 */
export class RecordingQuota {
  constructor(
    private readonly users: Pick<UserStore, 'recordingQuotaOverride'>,
    private readonly videos: Pick<VideoStore, 'usedBytes'>,
    /** RECORDING_QUOTA_BYTES */
    private readonly defaultQuotaBytes: number,
  ) {}

  async storage(userId: string): Promise<StorageUse> {
    const [usedBytes, quotaBytes] = await Promise.all([this.videos.usedBytes(userId), this.quotaOf(userId)]);
    return { usedBytes, quotaBytes };
  }

  /** At or over the quota: no more recording for the user. */
  async reached(userId: string): Promise<boolean> {
    const { usedBytes, quotaBytes } = await this.storage(userId);
    return quotaBytes !== null && usedBytes >= quotaBytes;
  }

  private async quotaOf(userId: string): Promise<number | null> {
    if (userId === ADMIN_USER_ID) return null;
    return (await this.users.recordingQuotaOverride(userId)) ?? this.defaultQuotaBytes;
  }
}
