/**
 * The restream benchmark's RTMP peer, the same for both sides: it receives every push and drops
 * the media, and it is the live source the ffmpeg side's relays read from. nginx-rtmp when
 * installed (bench/nginx-rtmp-receiver.ts), else a node process (bench/node-rtmp-receiver.ts).
 */

export type ReceiverKind = 'nginx' | 'node';

export interface ReceivedStream {
  name: string;
  /** Bytes taken in from this stream's publisher so far. */
  bytesIn: number;
  publishing: boolean;
}

export interface BenchReceiver {
  kind: ReceiverKind;
  /** Pushes publish to `${receiveUrl}/<name>` (a restream target's stream_url is receiveUrl). */
  receiveUrl: string;
  /** The ffmpeg side's publisher publishes to `${sourceUrl}/<name>`; its relays play it from there. */
  sourceUrl: string;
  /** Its processes, for CPU accounting (never counted as either side's). */
  pids(): number[];
  /** Streams published to receiveUrl, or to sourceUrl. */
  streams(where: 'receive' | 'source'): Promise<ReceivedStream[]>;
  stop(): Promise<void>;
}
