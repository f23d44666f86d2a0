/**
 * Stream key formats (seed 000): `publish_<stream id>_<secret>` for RTMP and WebSocket,
 * `publish/<stream id>/<secret>` for SRT. A key is the stream id plus a secret, so the API finds
 * the stream without a lookup table and compares only the secret.
 */
export const STREAM_KEY_PREFIX = 'publish_';
export const STREAM_SECRET_LENGTH = 24;

/** The protocols that have their own secret; WebSocket publishes with the RTMP key. */
export type KeyProtocol = 'rtmp' | 'srt';
export const KEY_PROTOCOLS: readonly KeyProtocol[] = ['rtmp', 'srt'];

export interface StreamSecrets {
  rtmp: string;
  srt: string;
}

export interface StreamKeyEntry {
  protocol: 'rtmp' | 'srt' | 'websocket';
  stream_key: string;
}

export function streamKeys(streamId: string, secrets: StreamSecrets): StreamKeyEntry[] {
  const rtmp = `${STREAM_KEY_PREFIX}${streamId}_${secrets.rtmp}`;
  return [
    { protocol: 'rtmp', stream_key: rtmp },
    { protocol: 'srt', stream_key: `publish/${streamId}/${secrets.srt}` },
    { protocol: 'websocket', stream_key: rtmp },
  ];
}

const KEY_SHAPES: Record<KeyProtocol, RegExp> = {
  rtmp: new RegExp(`^${STREAM_KEY_PREFIX}([a-z0-9]{8})_([A-Za-z0-9]{${STREAM_SECRET_LENGTH}})$`),
  srt: new RegExp(`^publish/([a-z0-9]{8})/([A-Za-z0-9]{${STREAM_SECRET_LENGTH}})$`),
};

/** Which key `name` is (RTMP's or SRT's), its stream id and secret; null when shaped like neither. */
export function parseStreamKey(name: string): { protocol: KeyProtocol; streamId: string; secret: string } | null {
  for (const protocol of KEY_PROTOCOLS) {
    const match = KEY_SHAPES[protocol].exec(name);
    if (match) return { protocol, streamId: match[1]!, secret: match[2]! };
  }
  return null;
}
