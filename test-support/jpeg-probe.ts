/** What a JPEG answer is, read back by real ffprobe (not by our own code). */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Every JPEG starts with SOI (FF D8) and a marker (FF). */
export function isJpeg(bytes: Buffer): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** The picture's size as ffprobe reads it; ffprobe failing (not a picture) rejects. */
export async function probeJpeg(bytes: Buffer): Promise<{ codec: string; width: number; height: number }> {
  const folder = await mkdtemp(path.join(tmpdir(), 'jpeg-probe-'));
  try {
    const file = path.join(folder, 'picture.jpg');
    await writeFile(file, bytes);
    const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', file]);
    const [stream] = (JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number }[] }).streams;
    if (!stream) throw new Error('ffprobe found no stream in the picture');
    return { codec: stream.codec_name, width: stream.width, height: stream.height };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
