/**
 * Records a real publish: ffmpeg publishes a file to the origin through a TCP relay of ours that
 * keeps a copy of every byte ffmpeg sends, up to a limit (then ffmpeg is stopped).
 */
import net from 'node:net';
import path from 'node:path';
import { publishFile } from '../test-support/ffmpeg.js';
import { waitFor } from '../test-support/wait-for.js';
import { parseRecording, RECORDED_STREAM_NAME, type RecordedPublish } from './rtmp-recording.js';

export async function recordPublish(file: string, originPort: number, { maxBytes }: { maxBytes: number }): Promise<RecordedPublish> {
  const recorded: Buffer[] = [];
  let length = 0;
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const upstream = net.connect(originPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.once('close', () => sockets.delete(socket));
    }
    client.on('data', (data: Buffer) => {
      if (length < maxBytes) {
        const kept = data.subarray(0, maxBytes - length);
        recorded.push(Buffer.from(kept));
        length += kept.length;
      }
      upstream.write(data);
    });
    upstream.pipe(client);
    client.once('end', () => upstream.end());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const { port } = relay.address() as net.AddressInfo;
  const publisher = publishFile(file, `rtmp://127.0.0.1:${port}/stream/${RECORDED_STREAM_NAME}`);
  try {
    await waitFor(`the recording of ${path.basename(file)}`, () => length >= maxBytes || publisher.child.exitCode !== null, { timeoutMs: 120_000, intervalMs: 100 });
  } finally {
    await publisher.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
  }
  return parseRecording(path.basename(file), Buffer.concat(recorded));
}
