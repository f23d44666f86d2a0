import type { PublishAbr } from '../../../internal-api/src/abr-contract.js';
import type { PublishRecording } from '../../../internal-api/src/recording-contract.js';
import type { PublishRefusal } from './publish-refusal.js';

export interface PublishRequest {
  app: string;
  /** What the publisher sent as stream name: a stream key (secret) or an open stream name. */
  name: string;
  addr: string;
  /** Identifies the publish to the API, which holds one lease per stream across origins. */
  sessionId: string;
}

/** What the API allowed: the public stream name to package under and the key's generation. */
export interface PublishGrant {
  streamName: string;
  /** Bumped by the API when the key is reset; a publish holding an old generation is cut. */
  keyGeneration: number;
  /** Whether and how to record the session; absent: not recorded. */
  recording?: PublishRecording;
  /** Whether to transcode an ABR ladder (ABR_MAX_STREAMS permitting); absent: no ABR. */
  abr?: PublishAbr;
}

/** A refusal's `reason` is for the log; `refusal` says whether the API said no or could not answer. */
export type PublishDecision =
  | ({ allowed: true } & PublishGrant)
  | { allowed: false; reason: string; refusal: Extract<PublishRefusal, 'denied' | 'api_unavailable'> };

/** Decides whether a publish may go ahead, and under which public stream name. */
export interface PublishAuthorizer {
  authorize(request: PublishRequest): Promise<PublishDecision>;
}
