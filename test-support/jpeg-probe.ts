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

/**
 * How alike two pictures of one size are: ffmpeg's PSNR in dB (higher is closer; two encodings of
 * one frame score far above two different frames).
 */
export async function picturePsnr(a: Buffer, b: Buffer): Promise<number> {
  const folder = await mkdtemp(path.join(tmpdir(), 'jpeg-psnr-'));
  try {
    const [first, second] = [path.join(folder, 'a.jpg'), path.join(folder, 'b.jpg')];
    await writeFile(first, a);
    await writeFile(second, b);
    const { stderr } = await execFileAsync('ffmpeg', ['-hide_banner', '-i', first, '-i', second, '-lavfi', 'psnr', '-f', 'null', '-']);
    const average = /PSNR .* average:([0-9.]+|inf)/.exec(stderr)?.[1];
    if (average === undefined) throw new Error(`ffmpeg gave no PSNR: ${stderr.slice(-300)}`);
    return average === 'inf' ? Infinity : Number(average);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** One frame of a video (a file or URL) at `seconds`, `height` lines high, as JPEG: what a player would show there. */
export async function frameAt(input: string, seconds: number, height: number): Promise<Buffer> {
  const { stdout } = await execFileAsync(
    'ffmpeg',
    ['-v', 'error', '-ss', String(seconds), '-i', input, '-map', '0:v:0', '-frames:v', '1', '-vf', `scale=-2:${height}`, '-c:v', 'mjpeg', '-q:v', '4', '-f', 'image2pipe', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}
