/**
 * The origin's refusals the edge passes on to viewers as they are, instead of a 502: a player
 * acts on them. For LL-HLS, a 400 for directives too far ahead (RFC 8216bis 6.2.5.2) and a 503 for
 * a part that did not come within three target durations make hls.js reload the playlist without
 * directives; a 503 for too many blocked requests is retried. A thumbnail refused because the
 * origin is busy making others is worth asking for again shortly (Retry-After). Every viewer
 * waiting for the same origin request gets the same refusal, and none is cached.
 */
import type { LiveError } from '../../service-kit/src/live-error.js';
import { DeliveryDirectiveError, PlaylistUpdateTimeoutError, ThumbnailBusyError, TooManyBlockedRequestsError } from './errors.js';

const RELAYED: Record<string, { statusCode: number; error: (stream: string, reason: string) => LiveError }> = {
  LIVE_ERR_DELIVERY_DIRECTIVE: { statusCode: 400, error: (stream, reason) => new DeliveryDirectiveError(stream, reason) },
  LIVE_ERR_PLAYLIST_UPDATE_TIMEOUT: { statusCode: 503, error: (stream, reason) => new PlaylistUpdateTimeoutError(stream, reason) },
  LIVE_ERR_TOO_MANY_BLOCKED_REQUESTS: { statusCode: 503, error: (stream, reason) => new TooManyBlockedRequestsError(stream, reason) },
  LIVE_ERR_THUMBNAIL_BUSY: { statusCode: 503, error: (stream, reason) => new ThumbnailBusyError(stream, reason) },
};

/** The edge's error for an origin's refusal (its status and JSON error body); undefined for anything else. */
export function originRefusal(stream: string, statusCode: number, body: Buffer): LiveError | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const error = (answer as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const relayed = typeof error?.code === 'string' ? RELAYED[error.code] : undefined;
  if (!relayed || relayed.statusCode !== statusCode || typeof error?.message !== 'string') return undefined;
  return relayed.error(stream, error.message);
}
