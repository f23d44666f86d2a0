/**
 * API errors said as the user's problem, in words: the dashboard never shows raw JSON. Each
 * LIVE_ERR_* code the dashboard can meet has a sentence; the API's own message (which names the
 * offending value or setting) follows where it helps. Pure, tested in Node.
 */

export interface ApiErrorBody {
  error?: { code?: unknown; message?: unknown };
}

/** What went wrong and what to do, for a failed request. */
export function describeApiError(status: number, body: unknown): string {
  const { code, message } = errorFields(body);
  const detail = message ? sentence(message) : '';
  switch (code) {
    case 'LIVE_ERR_UNAUTHORIZED':
      return 'Your API token was not accepted (unknown, revoked or mistyped). Sign in again with a valid token.';
    case 'LIVE_ERR_FORBIDDEN':
      return 'Only the admin can do this. Sign in with the admin token.';
    case 'LIVE_ERR_VALIDATION':
      return `Please check the form: ${detail ? fieldWords(detail) : 'a field has a value the API does not accept.'}`;
    case 'LIVE_ERR_STREAM_NOT_FOUND':
      return 'This stream does not exist any more (it may have been deleted in another window).';
    case 'LIVE_ERR_TARGET_NOT_FOUND':
      return 'This restream target does not exist any more (it may have been deleted in another window).';
    case 'LIVE_ERR_USER_NOT_FOUND':
      return 'This user does not exist any more.';
    case 'LIVE_ERR_TOKEN_NOT_FOUND':
      return 'This API token does not exist any more.';
    case 'LIVE_ERR_FALLBACK_NOT_FOUND':
      return 'This stream has no fallback video yet.';
    case 'LIVE_ERR_TARGET_ADDRESS_REFUSED':
      return `That server address cannot be used: restream targets and pull sources must be public internet servers. ${detail}`;
    case 'LIVE_ERR_PULL_EXISTS':
      return 'This stream already pulls from a source: stop it first.';
    case 'LIVE_ERR_TOO_MANY_STREAMS':
    case 'LIVE_ERR_TOO_MANY_TARGETS':
    case 'LIVE_ERR_TOO_MANY_TOKENS':
      return `You have reached a limit: ${detail}`;
    case 'LIVE_ERR_FALLBACK_NOT_VIDEO':
      return `That file cannot be used as a fallback video: ${detail}`;
    case 'LIVE_ERR_PAYLOAD_TOO_LARGE':
    case 'LIVE_ERR_FALLBACK_QUOTA_EXCEEDED':
      return `The file is too large: ${detail}`;
    case 'LIVE_ERR_UNSUPPORTED_MEDIA_TYPE':
      return 'That file type is not accepted: choose a video file (MP4, MOV, WebM, MKV or FLV).';
    case 'LIVE_ERR_UPLOAD_STALLED':
    case 'LIVE_ERR_UPLOAD_TOO_SLOW':
      return `The upload did not finish: ${detail}`;
    case 'LIVE_ERR_FALLBACK_TOO_SLOW':
      return `The video took too long to convert: ${detail}`;
    case 'LIVE_ERR_FALLBACK_IN_PROGRESS':
    case 'LIVE_ERR_FALLBACK_BUSY':
    case 'LIVE_ERR_TOO_MANY_UPLOADS':
      return `Another upload is under way: ${detail}`;
    case 'LIVE_ERR_PLAYBACK_SIGNING_DISABLED':
      return 'Signed playback is not configured on this platform (PLAYBACK_SIGNING_KEY is not set), so this stream cannot be played here.';
    case 'LIVE_ERR_STORE_UNAVAILABLE':
      return 'The platform cannot reach its database right now. Nothing was changed; try again in a moment.';
    default:
      return byStatus(status, detail);
  }
}

/** A request that got no answer at all. */
export const UNREACHABLE = 'The API cannot be reached. Check your connection, or whether the platform is running, and try again.';

function byStatus(status: number, detail: string): string {
  if (status === 401) return 'Your session has ended. Sign in again.';
  if (status === 404) return 'That no longer exists.';
  if (status === 409) return `That conflicts with the current state. ${detail}`.trim();
  if (status === 413) return `That is too large. ${detail}`.trim();
  if (status === 429) return `Too many requests at once; wait a moment and retry. ${detail}`.trim();
  if (status >= 500) return 'The platform had a problem with this request. Nothing was lost; try again in a moment.';
  return `The request was refused. ${detail}`.trim();
}

function errorFields(body: unknown): { code: string | undefined; message: string | undefined } {
  if (typeof body !== 'object' || body === null) return { code: undefined, message: undefined };
  const error = (body as ApiErrorBody).error;
  if (typeof error !== 'object' || error === null) return { code: undefined, message: undefined };
  return {
    code: typeof error.code === 'string' ? error.code : undefined,
    message: typeof error.message === 'string' ? error.message : undefined,
  };
}

/** Capitalized, ending with a full stop. */
function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * The API names fields as the request carries them (`body/stream_key`, `body.allowed_origins.0`,
 * `body/recording/timeoutSeconds`); the form calls them "Stream key", "Allowed origins",
 * "Recording timeout seconds".
 */
function fieldWords(text: string): string {
  return text.replace(/^(?:body|querystring|params)[./]([A-Za-z0-9_./]+)/i, (_match, path: string) => {
    const words = path
      .split(/[./]/)
      .filter((part) => part !== '' && !/^\d+$/.test(part))
      .map((part) => part.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase())
      .join(' ');
    return words.charAt(0).toUpperCase() + words.slice(1);
  });
}
