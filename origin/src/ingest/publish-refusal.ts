/**
 * Why the origin refused a publish, or cut it before its media could be packaged: a short fixed
 * set, so that it can label a metric (`origin_publish_refusals_total{reason}`).
 * - `denied`: the API answered no (unknown key, stream live on another origin, key reset).
 * - `api_unavailable`: the API did not answer in time, or not as its contract says.
 * - `already_live`: the stream is published on this origin already.
 * - `shutting_down`: the origin drains or stops.
 * - `early_media_overflow`: more media than AUTHORIZE_MAX_PENDING_BYTES before the API decided.
 * - `bad_media`: its media cannot be packaged (codec, timestamps).
 * - `failed`: an unexpected failure (logged).
 */
export const PUBLISH_REFUSALS = ['denied', 'api_unavailable', 'already_live', 'shutting_down', 'early_media_overflow', 'bad_media', 'failed'] as const;
export type PublishRefusal = (typeof PUBLISH_REFUSALS)[number];

/** Told of every refusal. */
export interface PublishRefusalCounter {
  publishRefused(reason: PublishRefusal): void;
}
