/**
 * The node receiver's process (started by bench/node-rtmp-receiver.ts, never imported): a process
 * of its own so its CPU is not counted as the benchmark's or either side's.
 * - Pushes go to test-support's RTMP receiver; the tags it records are counted and dropped every
 *   DRAIN_MS, so memory stays flat.
 * - The ffmpeg side's source is plain node-media-server sessions (through the origin's adapter),
 *   which relay a publish to players.
 * IPC: sends `{ ready: { receivePort, sourcePort } }`, then answers `{ id, where }` with `{ id, streams }`.
 */
import net from 'node:net';
import { nmsRelayedStreams, serveNmsRelayConnection } from '../origin/src/ingest/nms-rtmp-connection.js';
import { startRtmpReceiver } from '../test-support/rtmp-receiver.js';
import type { ReceivedStream } from './bench-receiver.js';

const DRAIN_MS = 250;

if (!process.send) throw new Error('bench/node-rtmp-receiver-process.js runs as a child process with an IPC channel');
const send = process.send.bind(process);

const receiver = await startRtmpReceiver();
const bytesIn = new Map<object, number>();
setInterval(() => {
  for (const publish of receiver.publishes) {
    bytesIn.set(publish, (bytesIn.get(publish) ?? 0) + publish.tags.reduce((sum, tag) => sum + tag.body.length, 0));
    publish.tags.length = 0;
  }
}, DRAIN_MS);

const source = net.createServer(serveNmsRelayConnection);
const sourcePort = await new Promise<number>((resolve) => {
  source.listen(0, '127.0.0.1', () => {
    const address = source.address();
    resolve(typeof address === 'object' && address ? address.port : 0);
  });
});

function streams(where: 'receive' | 'source'): ReceivedStream[] {
  if (where === 'receive') {
    return receiver.publishes.map((publish) => ({ name: publish.name, bytesIn: bytesIn.get(publish) ?? 0, publishing: !publish.closed }));
  }
  return nmsRelayedStreams();
}

process.on('message', (request: { id: number; where: 'receive' | 'source' }) => {
  send({ id: request.id, streams: streams(request.where) });
});
// The benchmark went away without stopping this process.
process.on('disconnect', () => process.exit(0));
send({ ready: { receivePort: receiver.port, sourcePort } });
