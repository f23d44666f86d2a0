import { Type } from '@fastify/type-provider-typebox';
import { RANDOM_ID_PATTERN } from '../../internal-api/src/fields.js';

/**
 * Field schemas of the /v1 routes and settings. The fields the internal contract shares with
 * them (stream names, origin hosts, ids origins choose, timestamps, display names) are declared
 * once, in internal-api/src/fields.ts.
 */
export {
  DisplayName,
  ManifestPath,
  OriginHost,
  OriginId,
  RANDOM_ID_PATTERN,
  SessionId,
  StreamName,
  Timestamp,
} from '../../internal-api/src/fields.js';
export { STREAM_NAME_PATTERN, isStreamName } from '../../internal-api/src/stream-name.js';

export const StreamId = Type.String({ pattern: RANDOM_ID_PATTERN, description: 'Stream id, e.g. 9a8e3a6d' });
export const StreamIdParams = Type.Object({ id: StreamId });

export const UserId = Type.String({ pattern: '^(?:[a-z0-9]{8}|admin)$', description: 'User id; `admin` is the built-in admin' });
export const TokenId = Type.String({ pattern: RANDOM_ID_PATTERN, description: 'API token id' });

export const Protocol = Type.Enum(['rtmp', 'srt', 'websocket'], { description: 'Ingest protocol' });

const RANDOM_ID_REGEX = new RegExp(RANDOM_ID_PATTERN);

/** Whether a name has the shape of a stream id (so it cannot be an open stream name). */
export function isStreamIdShaped(value: string): boolean {
  return RANDOM_ID_REGEX.test(value);
}
