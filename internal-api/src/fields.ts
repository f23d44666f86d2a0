import { Type } from 'typebox';
import { STREAM_NAME_PATTERN } from './stream-name.js';

/**
 * Field schemas of the internal contract. The patterns are the validation: a value that passes
 * them is safe to put in a Redis key, a URL path or an `http://<host>/…` the edge fetches.
 */

export const StreamName = Type.String({
  pattern: STREAM_NAME_PATTERN,
  description: 'Stream name: 1-128 characters of A-Z, a-z, 0-9, _ and -',
});

/**
 * What a publisher asks to publish as: a stream name (an RTMP key or an open name), or an SRT
 * stream key `publish/<stream id>/<secret>` (an SRT streamid; the API tells the two apart).
 */
export const PublishName = Type.String({
  pattern: `(?:${STREAM_NAME_PATTERN})|(?:^publish/[A-Za-z0-9_-]{1,64}/[A-Za-z0-9_-]{1,128}$)`,
  description: 'A stream name, an RTMP stream key or an SRT stream key (publish/<stream id>/<secret>)',
});

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME = `${HOST_LABEL}(?:\\.${HOST_LABEL})*`;
const IPV6_LITERAL = '\\[[0-9A-Fa-f:.]{2,45}\\]';
const PORT = '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';
/** `host` or `host:port` (hostname, IPv4 or bracketed IPv6; port 1-65535), nothing else. */
export const ORIGIN_HOST_PATTERN = `^(?:${HOST_NAME}|${IPV6_LITERAL})(?::${PORT})?$`;

export const OriginHost = Type.String({
  pattern: ORIGIN_HOST_PATTERN,
  maxLength: 261,
  description: 'Origin address the edge can reach: host or host:port, e.g. 127.0.0.1:8080',
});

/** A video's id, chosen by the origin that records it: 32 lowercase hex characters (128 random bits). */
export const VIDEO_UID_PATTERN = '^[0-9a-f]{32}$';
export const VideoUid = Type.String({ pattern: VIDEO_UID_PATTERN, description: 'Video uid: 32 lowercase hex characters' });

/** Relative path of `.m3u8` segments; no segment starts with a dot, so no `..` and no `/` prefix. */
const PATH_SEGMENT = '[A-Za-z0-9_-][A-Za-z0-9._-]*';
export const MANIFEST_PATTERN = `^(?:${PATH_SEGMENT}/)*${PATH_SEGMENT}\\.m3u8$`;

export const ManifestPath = Type.String({
  pattern: MANIFEST_PATTERN,
  maxLength: 512,
  description: 'Manifest path relative to the stream on the origin, e.g. index.m3u8',
});

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });

/** Ids the API makes (streams, users, tokens, restream targets): 8 random lowercase letters and digits. */
export const RANDOM_ID_PATTERN = '^[a-z0-9]{8}$';

/** Ids origins choose for themselves and their publish sessions; key-safe. */
export const ORIGIN_ID_PATTERN = '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$';
export const OriginId = Type.String({ pattern: ORIGIN_ID_PATTERN, description: 'Origin id: 1-128 of A-Z a-z 0-9 . _ -, not starting with .' });
export const SessionId = Type.String({ pattern: ORIGIN_ID_PATTERN, description: 'Publish session id on its origin' });

/** What a person types as a name: 1-128 characters, not only spaces, no control characters. */
export const DisplayName = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$',
  description: '1-128 characters, not only spaces, no control characters',
});
