/**
 * The restream benchmark's receiver when nginx-rtmp is not installed: a node process running
 * bench/node-rtmp-receiver-process.ts (pushes to `rtmp://127.0.0.1:<port>/app/<name>`, the ffmpeg
 * side's source at `rtmp://127.0.0.1:<other port>/src/<name>`).
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReceiver, ReceivedStream } from './bench-receiver.js';

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node-rtmp-receiver-process.js');
const START_TIMEOUT_MS = 10_000;

type Message = { ready: { receivePort: number; sourcePort: number } } | { id: number; streams: ReceivedStream[] };

export async function startNodeRtmpReceiver(): Promise<BenchReceiver> {
  const child = fork(entry, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const pending = new Map<number, (streams: ReceivedStream[]) => void>();
  let nextId = 0;

  const ports = await new Promise<{ receivePort: number; sourcePort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the node RTMP receiver did not start in ${START_TIMEOUT_MS} ms: ${stderr.trim()}`)), START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`the node RTMP receiver exited (${code}): ${stderr.trim()}`)));
    child.on('message', (message: Message) => {
      if ('ready' in message) {
        clearTimeout(timer);
        resolve(message.ready);
      } else {
        pending.get(message.id)?.(message.streams);
        pending.delete(message.id);
      }
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });

  return {
    kind: 'node',
    receiveUrl: `rtmp://127.0.0.1:${ports.receivePort}/app`,
    sourceUrl: `rtmp://127.0.0.1:${ports.sourcePort}/src`,
    pids: () => (running() && child.pid ? [child.pid] : []),
    streams: (where) =>
      new Promise((resolve, reject) => {
        if (!running()) return reject(new Error(`the node RTMP receiver exited: ${stderr.trim()}`));
        const id = (nextId += 1);
        pending.set(id, resolve);
        child.send({ id, where });
      }),
    stop: async () => {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
