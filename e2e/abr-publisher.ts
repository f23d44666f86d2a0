/**
 * What the ABR end-to-end tests share: a tiny test pattern published with real ffmpeg (320x180 at
 * 15 fps, one keyframe a second, because the transcoding shares this machine with the rest of
 * the suite), the ladder below it, and the checks every multivariant playlist's variants pass.
 */
import type HLS from 'hls-parser';
import type { Test } from 'tap';
import { publishFile, type Publisher } from '../test-support/ffmpeg.js';
import { ensureTestPatternClip, type TestPatternClip } from '../test-support/test-pattern-publisher.js';

export const ABR_TEST_FPS = 15;

/** Renditions 214x120 and 160x90 below the 320x180 source. */
export const ABR_TEST_LADDER = [
  { height: 120, bitrate_bps: 150_000 },
  { height: 90, bitrate_bps: 100_000 },
];

/** 320x180 15 fps, a keyframe a second, x264 veryfast 300 kb/s, a mono tone in AAC 48 kb/s: encoded once, played looped. */
export const ABR_PATTERN: TestPatternClip = {
  size: '320x180',
  gopSeconds: 1,
  fps: ABR_TEST_FPS,
  audioChannels: 1,
  encoding: ['-preset', 'veryfast', '-b:v', '300k', '-b:a', '48k'],
};

export async function publishAbrTestPattern(publishUrl: string): Promise<Publisher> {
  return publishFile(await ensureTestPatternClip(ABR_PATTERN), publishUrl, { loops: -1 });
}

/** BANDWIDTH, AVERAGE-BANDWIDTH, CODECS and FRAME-RATE of every variant, as measured from its media. */
export function checkVariantAttributes(t: Test, variants: readonly HLS.types.Variant[]): void {
  for (const variant of variants) {
    t.ok(variant.averageBandwidth! > 0 && variant.averageBandwidth! <= variant.bandwidth, `${variant.uri}: BANDWIDTH ${variant.bandwidth}, AVERAGE-BANDWIDTH ${variant.averageBandwidth}`);
    t.match(variant.codecs, /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/, `${variant.uri}: CODECS`);
    t.equal(variant.frameRate, ABR_TEST_FPS, `${variant.uri}: FRAME-RATE`);
  }
}
