import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Makes a 4 s 320x240 clip with ffmpeg (in `scratch`) and uploads it as the stream's fallback
 * video through the public API, as a user would; the answer is the API's.
 */
export async function uploadFallbackClip(apiUrl: string, token: string, streamId: string, scratch: string): Promise<Response> {
  const clip = path.join(scratch, `fallback-${streamId}.mp4`);
  await execFileAsync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', '4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip,
  ]);
  return fetch(`${apiUrl}/v1/streams/${streamId}/fallback`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'video/mp4' },
    body: await readFile(clip),
  });
}
