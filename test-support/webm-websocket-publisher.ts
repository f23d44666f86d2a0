import { spawn, type ChildProcess } from 'node:child_process';
import { WebSocket, type ClientOptions } from 'ws';

export interface WebmWebSocketPublisher {
  socket: WebSocket;
  ffmpeg: ChildProcess;
  /** How the server closed the socket (code and reason), once it did. */
  closed: Promise<{ code: number; reason: string }>;
  stop(): Promise<void>;
}

/**
 * A browser's go-live as a Node client: real ffmpeg makes a live WebM (VP8 test pattern + Opus
 * tone, what MediaRecorder sends) and every piece of its output goes over a WebSocket as a binary
 * message of at most `chunkBytes`, in order.
 */
export function publishWebmOverWebSocket(
  url: string,
  { chunkBytes = 16 * 1024, socketOptions = {} }: { chunkBytes?: number; socketOptions?: ClientOptions } = {},
): WebmWebSocketPublisher {
  const socket = new WebSocket(url, socketOptions);
  const ffmpeg = spawn(
    'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=30',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '800k', '-g', '30',
      '-c:a', 'libopus', '-b:a', '64k',
      '-f', 'webm', '-cluster_time_limit', '500', 'pipe:1',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const held: Buffer[] = [];
  const send = (chunk: Buffer) => {
    for (let offset = 0; offset < chunk.byteLength; offset += chunkBytes) socket.send(chunk.subarray(offset, offset + chunkBytes));
  };
  ffmpeg.stdout!.on('data', (chunk: Buffer) => {
    if (socket.readyState === WebSocket.OPEN) send(chunk);
    else if (socket.readyState === WebSocket.CONNECTING) held.push(chunk);
  });
  socket.on('open', () => {
    for (const chunk of held.splice(0)) send(chunk);
  });
  socket.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      ffmpeg.kill('SIGKILL');
      resolve({ code, reason: reason.toString() });
    });
  });
  return {
    socket,
    ffmpeg,
    closed,
    stop: async () => {
      ffmpeg.kill('SIGKILL');
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(1000, 'done');
      await closed;
    },
  };
}
