/**
 * A publish session as a real encoder sent it (the client's half of the connection, byte for
 * byte), and the messages in it. Pure: the recording itself is made by publish-recorder.ts.
 */
import { ChunkReader } from '../origin/src/restream/rtmp-chunk-reader.js';
import type { RtmpMessage } from '../origin/src/restream/rtmp-chunk-writer.js';
import { HANDSHAKE_PACKET_SIZE } from '../origin/src/restream/rtmp-handshake.js';

/** C0 (1 byte), C1 and C2 precede the chunk stream. */
export const CLIENT_HANDSHAKE_SIZE = 1 + 2 * HANDSHAKE_PACKET_SIZE;
/**
 * The stream name recordings publish to; every fuzz session renames it to one of its own of the
 * same length (so the raw bytes stay a valid session).
 */
export const RECORDED_STREAM_NAME = 'fuzz000000';

export interface RecordedPublish {
  /** Which source it was recorded from (a file name). */
  source: string;
  /** Everything the client sent. */
  bytes: Uint8Array;
  /** C0+C1+C2. */
  handshake: Uint8Array;
  /** The messages of its chunk stream in order (Set Chunk Size applied by the reader, not listed). */
  messages: RtmpMessage[];
}

export function parseRecording(source: string, recorded: Uint8Array): RecordedPublish {
  // Its own plain copy: the messages are views into it, and nobody else may change them.
  const bytes = new Uint8Array(recorded);
  if (bytes.length <= CLIENT_HANDSHAKE_SIZE) throw new RangeError(`the recording of ${source} ends in its handshake`);
  const messages = new ChunkReader().read(bytes.subarray(CLIENT_HANDSHAKE_SIZE));
  if (!messages.some((message) => message.type === 20)) throw new RangeError(`the recording of ${source} holds no command`);
  return { source, bytes, handshake: bytes.slice(0, CLIENT_HANDSHAKE_SIZE), messages };
}

/** A session's stream name: as long as RECORDED_STREAM_NAME, different for every seed. */
export function sessionStreamName(seed: number): string {
  return `fz${(seed >>> 0).toString(36).padStart(8, '0')}`;
}

/** `data` with every occurrence of one ASCII string replaced by another of the same length. */
export function replaceAscii(data: Uint8Array, from: string, to: string): Uint8Array {
  if (from.length !== to.length) throw new RangeError('replaceAscii keeps lengths');
  const needle = Buffer.from(from, 'latin1');
  // A copy even when `data` is a Buffer (whose slice() is a view).
  const out = new Uint8Array(data);
  const haystack = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) {
    haystack.write(to, at, 'latin1');
  }
  return out;
}
