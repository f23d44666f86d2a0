import { Type, type Static } from 'typebox';

/**
 * Seed 004's recording setting as the origin receives it with a publish. `automatic`: every
 * segment of the session is kept as a video; `off`: nothing is kept.
 */
export const RECORDING_MODES = ['off', 'automatic'] as const;
export type RecordingMode = (typeof RECORDING_MODES)[number];

/** The longest a publisher may be gone and still continue the same video (seed 004 has no limit; an hour bounds held state). */
export const MAX_RECORDING_TIMEOUT_SECONDS = 3600;

export const RecordingModeField = Type.Enum([...RECORDING_MODES], {
  description: 'automatic: each session is recorded as a video that can be replayed; off: nothing is kept',
});

export const RecordingTimeoutSeconds = Type.Integer({
  minimum: 0,
  maximum: MAX_RECORDING_TIMEOUT_SECONDS,
  description: `A publisher back within this many seconds continues the same video (after a discontinuity); later, a new video starts. 0-${MAX_RECORDING_TIMEOUT_SECONDS}`,
});

export const PublishRecording = Type.Object(
  { mode: RecordingModeField, timeout_seconds: RecordingTimeoutSeconds },
  { description: 'Whether and how the origin records the session' },
);
export type PublishRecording = Static<typeof PublishRecording>;

/** Not recorded: what an origin does when the API's answer names no recording (an older API). */
export const NO_RECORDING: Readonly<PublishRecording> = Object.freeze({ mode: 'off', timeout_seconds: 0 });
