import { Type } from '@fastify/type-provider-typebox';

/**
 * Field schemas shared by routes and settings. The patterns are the validation: a value that
 * passes them is safe to put in a Redis key, an nginx `proxy_pass` target or a URL path.
 */

/** Stream names as publishers send them (the RTMP stream key) and players request them. */
export const STREAM_NAME_PATTERN = '^[A-Za-z0-9_-]{1,128}$';

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME = `${HOST_LABEL}(?:\\.${HOST_LABEL})*`;
const IPV6_LITERAL = '\\[[0-9A-Fa-f:.]{2,45}\\]';
const PORT = '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';
/** `host` or `host:port` (hostname, IPv4 or bracketed IPv6; port 1-65535), nothing else. */
export const ORIGIN_HOST_PATTERN = `^(?:${HOST_NAME}|${IPV6_LITERAL})(?::${PORT})?$`;

/** Relative path of `.m3u8` segments; no segment starts with a dot, so no `..` and no `/` prefix. */
const PATH_SEGMENT = '[A-Za-z0-9_-][A-Za-z0-9._-]*';
export const MANIFEST_PATTERN = `^(?:${PATH_SEGMENT}/)*${PATH_SEGMENT}\\.m3u8$`;

export const StreamName = Type.String({
  pattern: STREAM_NAME_PATTERN,
  description: 'Stream name: 1-128 characters of A-Z, a-z, 0-9, _ and -',
});

export const OriginHost = Type.String({
  pattern: ORIGIN_HOST_PATTERN,
  maxLength: 261,
  description: 'Origin address the edge can reach: host or host:port, e.g. 127.0.0.1:8080',
});

export const ManifestPath = Type.String({
  pattern: MANIFEST_PATTERN,
  maxLength: 512,
  description: 'Manifest path relative to the stream on the origin, e.g. index.m3u8',
});

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });

/** Ids the API makes (streams, users, tokens): 8 random lowercase letters and digits. */
export const RANDOM_ID_PATTERN = '^[a-z0-9]{8}$';

export const StreamId = Type.String({ pattern: RANDOM_ID_PATTERN, description: 'Stream id, e.g. 9a8e3a6d' });
export const StreamIdParams = Type.Object({ id: StreamId });

export const UserId = Type.String({ pattern: '^(?:[a-z0-9]{8}|admin)$', description: 'User id; `admin` is the built-in admin' });
export const TokenId = Type.String({ pattern: RANDOM_ID_PATTERN, description: 'API token id' });

/** What a person types as a name: 1-128 characters, not only spaces, no control characters. */
export const DisplayName = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$',
  description: '1-128 characters, not only spaces, no control characters',
});

/** Ids origins choose for themselves and their publish sessions; key-safe. */
export const ORIGIN_ID_PATTERN = '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$';
export const OriginId = Type.String({ pattern: ORIGIN_ID_PATTERN, description: 'Origin id: 1-128 of A-Z a-z 0-9 . _ -, not starting with .' });
export const SessionId = Type.String({ pattern: ORIGIN_ID_PATTERN, description: 'Publish session id on its origin' });

export const Protocol = Type.Enum(['rtmp', 'srt', 'websocket'], { description: 'Ingest protocol' });

const STREAM_NAME_REGEX = new RegExp(STREAM_NAME_PATTERN);
const RANDOM_ID_REGEX = new RegExp(RANDOM_ID_PATTERN);

export function isStreamName(value: string): boolean {
  return STREAM_NAME_REGEX.test(value);
}

/** Whether a name has the shape of a stream id (so it cannot be an open stream name). */
export function isStreamIdShaped(value: string): boolean {
  return RANDOM_ID_REGEX.test(value);
}
