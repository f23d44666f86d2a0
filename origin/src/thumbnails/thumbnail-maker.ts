/**
 * One JPEG from one segment file, with ffmpeg in a child process: the event loop never decodes,
 * and an ffmpeg that runs past its deadline is killed. Only the segment is read (one file, a few
 * seconds of media), never the whole recording. The picture comes back on stdout, bounded. The
 * offset counts from the file's first timestamp, which is where the segment starts on the
 * playlist's timeline (within the few tens of milliseconds its audio leads its video).
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';

/** A thumbnail of up to 1080 lines is far smaller; more is not a JPEG of one frame. */
const MAX_JPEG_BYTES = 4 * 1024 * 1024;
/** The first error line is all a message needs. */
const MAX_STDERR_BYTES = 16 * 1024;
/** JPEG quality scale 2-31, lower is better: 4 is good at a third of the size of 2. */
const JPEG_QUALITY = 4;

export interface ThumbnailJob {
  /** A segment file (MPEG-TS) on this origin's disk. */
  segmentPath: string;
  /** Tenths of a second from the segment's start. */
  offsetTenths: number;
  /** Even pixels; undefined: the video's own size. */
  height: number | undefined;
  /** THUMBNAIL_TIMEOUT_MS: ffmpeg is killed past it. */
  timeoutMs: number;
}

export class ThumbnailMakerError extends Error {
  override readonly name = 'ThumbnailMakerError';
  constructor(
    /** `failed`: ffmpeg exited with an error or made no picture; `timeout`: killed at the deadline. */
    readonly kind: 'failed' | 'timeout',
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * The frame at the offset, as JPEG bytes. An offset past the segment's last frame gives no picture
 * (ffmpeg exits 0 with nothing; the timeline keeps offsets a tenth from the end, so only a segment
 * with fewer than 10 frames a second gets here): the segment's first frame is taken instead.
 */
export async function makeThumbnail(job: ThumbnailJob): Promise<Buffer> {
  const jpeg = await runFfmpeg(job);
  if (jpeg.length > 0) return jpeg;
  if (job.offsetTenths > 0) {
    const first = await runFfmpeg({ ...job, offsetTenths: 0 });
    if (first.length > 0) return first;
  }
  throw new ThumbnailMakerError('failed', `ffmpeg found no video frame in ${basename(job.segmentPath)}`);
}

export function thumbnailFfmpegArgs(job: Pick<ThumbnailJob, 'segmentPath' | 'offsetTenths' | 'height'>): string[] {
  return [
    '-v', 'error', '-nostdin',
    // The input is our own segment: only the file protocol and the MPEG-TS demuxer are needed.
    '-protocol_whitelist', 'file', '-f', 'mpegts',
    '-i', job.segmentPath,
    // After -i: the segment is decoded from its start and frames before the offset are dropped.
    // A seek in the input instead lands by bytes in a file that holds one keyframe, before its
    // first frame or past it, and then yields no picture (measured on our own recordings). One
    // segment is a few seconds of media: decoding it whole is cheap.
    '-ss', (job.offsetTenths / 10).toFixed(1),
    '-map', '0:v:0', '-frames:v', '1',
    // -2: the width that keeps the aspect ratio, made even.
    ...(job.height === undefined ? [] : ['-vf', `scale=-2:${job.height}`]),
    '-c:v', 'mjpeg', '-q:v', String(JPEG_QUALITY), '-f', 'image2pipe', 'pipe:1',
  ];
}

function runFfmpeg(job: ThumbnailJob): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', thumbnailFfmpegArgs(job), { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let failure: ThumbnailMakerError | undefined;
    const kill = (error: ThumbnailMakerError): void => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const deadline = setTimeout(() => kill(new ThumbnailMakerError('timeout', `ffmpeg ran longer than ${job.timeoutMs} ms`)), job.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_JPEG_BYTES) kill(new ThumbnailMakerError('failed', `ffmpeg wrote more than ${MAX_JPEG_BYTES} bytes`));
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      clearTimeout(deadline);
      reject(new ThumbnailMakerError('failed', `ffmpeg could not start: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(deadline);
      if (failure) return reject(failure);
      if (code !== 0) return reject(new ThumbnailMakerError('failed', `ffmpeg exited ${code}: ${firstLine(stderr, job.segmentPath)}`));
      resolve(Buffer.concat(chunks));
    });
  });
}

/** ffmpeg's first error line without its `[demuxer @ 0x…]` prefix, the folder left out. */
function firstLine(stderr: string, segmentPath: string): string {
  const line = stderr.split('\n').find((candidate) => candidate.trim() !== '') ?? '';
  return line.replace(/^\[[^\]]* @ 0x[0-9a-f]+\] /, '').replaceAll(segmentPath, basename(segmentPath)).trim().slice(0, 300);
}
