/**
 * A TCP relay between one publisher and the server under test that notes the wall-clock time at
 * which each video keyframe was handed to the server's socket. That is the send time the segment
 * delay is measured from, taken the same way for every server.
 */
import net from 'node:net';
import { RtmpChunkReader } from './rtmp-chunk-reader.js';

export interface KeyframeSendTime {
  /** RTMP timestamp of the keyframe, in milliseconds of media time. */
  timestampMs: number;
  /** Wall-clock time (ms since the epoch, sub-ms precision) its last byte was written to the server. */
  sentAt: number;
}

/** Sub-millisecond wall clock, comparable with file times and Date.now(). */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface TimingRelay {
  /** Where the publisher connects: `127.0.0.1:<port>`. */
  port: number;
  keyframes: KeyframeSendTime[];
  close(): Promise<void>;
}

/** Listens on a free port; each accepted connection is forwarded to `127.0.0.1:targetPort`. */
export async function startTimingRelay(targetPort: number): Promise<TimingRelay> {
  const keyframes: KeyframeSendTime[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const reader = new RtmpChunkReader();
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (data: Buffer) => {
      const sent = reader.push(data);
      // Backpressure is left to the kernel and Node's write queue: a slow server shows up as delay.
      upstream.write(data);
      if (sent.length === 0) return;
      const sentAt = wallClockMs();
      for (const { timestampMs } of sent) keyframes.push({ timestampMs, sentAt });
    });
    upstream.pipe(client);
    client.once('end', () => upstream.end());
    upstream.once('end', () => client.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    keyframes,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
