import { Type, type Static } from 'typebox';

/** The body of every error answer: `{"error": {"code": "LIVE_ERR_…", "message": "…"}}`. */
export const ErrorAnswer = Type.Object({
  error: Type.Object({
    code: Type.String({ pattern: '^LIVE_ERR_[A-Z_]+$' }),
    message: Type.String(),
  }),
});
export type ErrorAnswer = Static<typeof ErrorAnswer>;

/** The route lookup's "not live" answer (404): an edge tells it from any other 404 by this code. */
export const STREAM_NOT_LIVE_CODE = 'LIVE_ERR_STREAM_NOT_LIVE';

/** The answer (404) for a stream the API does not know: deleted, never created, not an open name. */
export const STREAM_NOT_FOUND_CODE = 'LIVE_ERR_STREAM_NOT_FOUND';

/** The video lookup's 404 (unknown, deleted, or its stream is gone): an edge tells it from a 404 of another shape by this code. */
export const VIDEO_NOT_FOUND_CODE = 'LIVE_ERR_VIDEO_NOT_FOUND';
