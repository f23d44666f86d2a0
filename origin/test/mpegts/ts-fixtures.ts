/**
 * MPEG-TS made by real ffmpeg for the demuxer's tests, what ffprobe reads in it, and the
 * demuxer's output written back as FLV for ffmpeg to decode.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFlvTag, flvHeader } from '../../src/abr/flv-stream-writer.js';
import type { FlvTag } from '../../src/media/flv-tag.js';
import { MpegTsDemuxer, type MpegTsDemuxerOptions, type MpegTsEvent } from '../../src/mpegts/mpegts-demuxer.js';

export const FPS = 25;

/** 4 s of 320x180 H.264 with B-frames and a keyframe each second, and 44.1 kHz AAC, as MPEG-TS. */
export function encodeTs(dir: string, name = 'clip.ts', extra: string[] = []): string {
  const file = join(dir, name);
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=${FPS}`, '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=44100',
    '-t', '4', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', `${FPS}`, '-keyint_min', `${FPS}`, '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '64k', ...extra, '-f', 'mpegts', file,
  ]);
  return file;
}

/** The same media with its timestamps moved by `offsetSeconds` (ffmpeg writes them modulo 2^33). */
export function shiftTs(input: string, output: string, offsetSeconds: number): string {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', input, '-c', 'copy', '-copyts', '-output_ts_offset', String(offsetSeconds), '-f', 'mpegts', output]);
  return output;
}

export interface ProbedTsPacket {
  codec_type: 'video' | 'audio';
  /** 90 kHz ticks, as the file has them. */
  pts: number;
  dts: number;
  flags: string;
}

export function probeTsPackets(file: string): ProbedTsPacket[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=codec_type,pts,dts,flags', '-of', 'json', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(out) as { packets: ProbedTsPacket[] }).packets;
}

/** Everything the demuxer says about `bytes` fed in chunks of the given sizes (cycled), then end(). */
export function demux(bytes: Uint8Array, chunkSizes: readonly number[] = [bytes.length], options?: MpegTsDemuxerOptions): MpegTsEvent[] {
  const demuxer = new MpegTsDemuxer(options);
  const events: MpegTsEvent[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i += 1) {
    const size = chunkSizes[i % chunkSizes.length]!;
    // A copy per chunk, overwritten after the call: the demuxer must not keep the caller's bytes.
    const chunk = bytes.slice(offset, offset + size);
    events.push(...demuxer.push(chunk));
    chunk.fill(0xee);
    offset += size;
  }
  events.push(...demuxer.end());
  return events;
}

export function tagsOf(events: readonly MpegTsEvent[]): FlvTag[] {
  return events.flatMap((event) => (event.kind === 'tag' ? [event.tag] : []));
}

/** ffmpeg's complaints decoding the tags as an FLV file ('' when every frame decodes cleanly). */
export function decodeErrors(dir: string, tags: readonly FlvTag[]): string {
  const file = join(dir, 'demuxed.flv');
  writeFileSync(file, Buffer.concat([flvHeader(true, true), ...tags.map((tag) => encodeFlvTag(tag))]));
  const result = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
  if (result.status !== 0) return `ffmpeg exited with ${result.status}: ${result.stderr}`;
  return result.stderr.trim();
}
