/**
 * INTERNAL_TOKEN: the shared secret of the API's internal listener. Origins, discovery and edges
 * send it as `Authorization: Bearer <token>`; nginx-rtmp's `on_publish`, which cannot send headers,
 * may put it in its URL (`?internal_token=`, on `/authorize` only). Every service reads it here, so
 * all of them accept and refuse the same values.
 */
import { SettingError, readOptionalString, type Env } from '../../service-kit/src/env-settings.js';

export const INTERNAL_TOKEN_SETTING = 'INTERNAL_TOKEN';

/** The query parameter nginx-rtmp's on_publish URL carries the token in. */
export const INTERNAL_TOKEN_QUERY_PARAMETER = 'internal_token';

/**
 * Long enough not to be guessed; only URL-unreserved characters, so it goes into a header, an
 * nginx `on_publish` URL and any config file as is, without quoting or encoding.
 */
const INTERNAL_TOKEN_PATTERN = /^[A-Za-z0-9._~-]{32,256}$/;

const EXPECTED =
  '32-256 of A-Z a-z 0-9 . _ ~ -, the same on the API and every origin, discovery and edge ' +
  '(e.g. `openssl rand -hex 32`; npm start makes one in .run/internal-token)';

/** The token, required: without it a service could neither serve nor call the internal API. */
export function readInternalToken(env: Env): string {
  const value = readOptionalString(env, INTERNAL_TOKEN_SETTING);
  // Never echo the token itself.
  if (value === undefined) throw new SettingError(INTERNAL_TOKEN_SETTING, '', EXPECTED);
  if (!INTERNAL_TOKEN_PATTERN.test(value)) throw new SettingError(INTERNAL_TOKEN_SETTING, '[redacted]', EXPECTED);
  return value;
}

/**
 * INTERNAL_TOKEN_PREVIOUS, read by the API only: the token before a rotation, still accepted while
 * the services move to the new one (so none of them is refused meanwhile). Unset outside a rotation.
 */
export function readPreviousInternalToken(env: Env): string | undefined {
  const value = readOptionalString(env, 'INTERNAL_TOKEN_PREVIOUS');
  if (value !== undefined && !INTERNAL_TOKEN_PATTERN.test(value)) throw new SettingError('INTERNAL_TOKEN_PREVIOUS', '[redacted]', EXPECTED);
  return value;
}

/** The Authorization header value that carries the token. */
export function bearerOf(token: string): string {
  return `Bearer ${token}`;
}
