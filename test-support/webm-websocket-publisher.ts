import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { WebSocket, type ClientOptions } from 'ws';
import { ensureCachedClip } from './cached-clip.js';
import { repoRoot } from './repo-root.js';

export interface WebmWebSocketPublisher {
  socket: WebSocket;
  ffmpeg: ChildProcess;
  /** How the server closed the socket (code and reason), once it did. */
  closed: Promise<{ code: number; reason: string }>;
  stop(): Promise<void>;
}

/**
 * The WebM a browser's MediaRecorder sends: VP8 test pattern (640x360 30 fps, a keyframe a
 * second, libvpx realtime) + Opus tone, 16 s, encoded once (VP8 live cost 60 % of a core).
 * Looped with -c copy, the Opus encoder delay makes each loop 2 ms longer than 16 s: both tracks
 * step 2 ms more than a frame there, together (no drift between them): jitter, not a timestamp
 * jump (e2e/test-pattern-clip.test.ts).
 */
export function ensureWebmClip(): Promise<string> {
  return ensureCachedClip(
    path.join(repoRoot, '.run', 'test-pattern'),
    'testsrc-640x360-30fps-vp8-opus-16s',
    [
      '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=30:duration=16',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=16',
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '800k', '-g', '30',
      '-c:a', 'libopus', '-b:a', '64k',
    ],
    { format: 'webm' },
  );
}

/**
 * A browser's go-live as a Node client: real ffmpeg plays that WebM in real time, looped, and
 * every piece of its output goes over a WebSocket as a binary message of at most `chunkBytes`,
 * in order.
 */
export async function publishWebmOverWebSocket(
  url: string,
  { chunkBytes = 16 * 1024, socketOptions = {} }: { chunkBytes?: number; socketOptions?: ClientOptions } = {},
): Promise<WebmWebSocketPublisher> {
  const clip = await ensureWebmClip();
  const socket = new WebSocket(url, socketOptions);
  const ffmpeg = spawn(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy', '-f', 'webm', '-cluster_time_limit', '500', 'pipe:1'],
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
