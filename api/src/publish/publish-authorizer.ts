import { secretsEqual } from '../constant-time.js';
import { AlreadyPublishingError, PublishDeniedError } from '../errors.js';
import { randomSecret } from '../random-strings.js';
import type { RecordingQuota } from '../recording-quota.js';
import type { PublisherLeaseStore } from '../store/publisher-lease-store.js';
import { DEFAULT_ABR_LADDER, type PublishAbr } from '../../../internal-api/src/abr-contract.js';
import type { RecordingSettings, RecordingStatus, StreamStore } from '../store/stream-store.js';
import type { OpenNames } from './open-names.js';
import { parseStreamKey } from './stream-key.js';

export interface PublishRequest {
  /** A stream key (RTMP's `publish_<id>_<secret>`, SRT's `publish/<id>/<secret>`) or an open name. */
  name: string;
  /** Who asks; nginx-rtmp sends neither, and gets a lease under a session id made up here. */
  originId?: string | undefined;
  sessionId?: string | undefined;
}

export interface PublishGrant {
  /** The public name to package under: the stream id, or the open name itself. */
  stream: string;
  /** The key generation the publisher used; 0 for an open name. */
  keyGeneration: number;
  /** True for a stream key, false for an open name. */
  managed: boolean;
  /** Whether and how the origin records the session. */
  recording: RecordingSettings;
  /** Why a stream set to record is not recorded this time (its owner reached the recording quota). */
  recordingStatus?: RecordingStatus | undefined;
  /** Whether the origin transcodes an ABR ladder, the ladder resolved; absent: no ABR (open names). */
  abr?: PublishAbr;
  /** The origin that held the stream for its publisher's return, when this publish took it over. */
  tookOverFrom?: string | undefined;
}

/**
 * Decides whether a publish may start, and takes the stream's one-publisher lease when it may:
 * refused while another publisher is live, taken over when the stream only waits for its
 * publisher's return (on this origin or another one).
 */
export class PublishAuthorizer {
  constructor(
    private readonly streams: Pick<StreamStore, 'credentials' | 'recording' | 'setRecordingStatus'> & Partial<Pick<StreamStore, 'abr'>>,
    private readonly leases: Pick<PublisherLeaseStore, 'claim'>,
    private readonly openNames: OpenNames,
    /** RECORD_OPEN_NAMES: open names have no stream to hold a setting; this one applies to all of them. */
    private readonly openNameRecording: RecordingSettings,
    private readonly quota: Pick<RecordingQuota, 'reached'>,
  ) {}

  /** Throws PublishDeniedError (403) or AlreadyPublishingError (409). */
  async authorize({ name, originId, sessionId }: PublishRequest): Promise<PublishGrant> {
    const grant = await this.resolve(name);
    const claim = await this.leases.claim(grant.stream, originId ?? '', sessionId ?? `anonymous-${randomSecret(16)}`);
    if (!claim.claimed) throw new AlreadyPublishingError(grant.stream);
    // The stream says why this session is (not) recorded, once it is the one publishing.
    if (grant.managed) await this.streams.setRecordingStatus(grant.stream, grant.recordingStatus ?? null);
    return { ...grant, tookOverFrom: claim.tookOverFrom };
  }

  private async resolve(name: string): Promise<PublishGrant> {
    const key = parseStreamKey(name);
    if (key) {
      const credentials = await this.streams.credentials(key.streamId);
      // Stream ids are public; only the secret needs the constant-time comparison. Each protocol
      // has its own secret: an RTMP secret in an SRT key's shape is refused.
      if (credentials && secretsEqual(key.secret, credentials.secrets[key.protocol])) {
        const [recording, abr] = await Promise.all([this.streams.recording(key.streamId), this.streams.abr?.(key.streamId)]);
        // Deleted between the two reads: as if it had never been there.
        if (recording) {
          const grant: PublishGrant = { stream: key.streamId, keyGeneration: credentials.generations[key.protocol], managed: true, ...(await this.withinQuota(recording)) };
          if (abr?.enabled) grant.abr = { enabled: true, ladder: abr.ladder ?? [...DEFAULT_ABR_LADDER] };
          return grant;
        }
      }
    } else if (this.openNames.allows(name)) {
      return { stream: name, keyGeneration: 0, managed: false, recording: this.openNameRecording };
    }
    throw new PublishDeniedError();
  }

  /**
   * An owner at or over the recording quota still goes live, unrecorded: a full storage must
   * never stop a broadcast.
   */
  private async withinQuota({ settings, userId }: { settings: RecordingSettings; userId: string }): Promise<Pick<PublishGrant, 'recording' | 'recordingStatus'>> {
    if (settings.mode === 'off' || !(await this.quota.reached(userId))) return { recording: settings };
    return { recording: { ...settings, mode: 'off' }, recordingStatus: 'quota-exceeded' };
  }
}
