/**
 * ABR's pure parts: the FLV byte stream both ways, the ladder against the source, the
 * multivariant playlist's exact text, the source boundaries, and a segmenter that cuts where it
 * is told.
 */
import t from 'tap';
import { renditionsFor } from '../../src/abr/abr-ladder.js';
import { ffmpegLadderArgs } from '../../src/abr/ffmpeg-ladder-args.js';
import { FlvStreamReader } from '../../src/abr/flv-stream-reader.js';
import { encodeFlvTag, flvHeader } from '../../src/abr/flv-stream-writer.js';
import { renderMasterPlaylist, roundBandwidth } from '../../src/abr/master-playlist.js';
import { SourceBoundaries } from '../../src/abr/source-boundaries.js';
import type { FlvTag } from '../../src/media/flv-tag.js';
import { HlsSegmenter } from '../../src/media/segmenter.js';
import { aacConfigTag, audioTag, avcConfigTag, videoTag } from '../media/fixtures/flv-tags.js';

t.test('FLV tags written for ffmpeg read back the same, however the bytes are split', async (t) => {
  const tags: FlvTag[] = [
    { type: 9, timestampMs: 0, body: Uint8Array.of(0x17, 0, 0, 0, 0, 1, 2) },
    { type: 8, timestampMs: 23, body: Uint8Array.of(0xaf, 1, 9, 9) },
    // Past 24 bits: the upper byte goes to TimestampExtended.
    { type: 9, timestampMs: 0x1234_5678, body: Uint8Array.of(0x27, 1, 0, 0, 0x21, 5) },
  ];
  const header = flvHeader(true, true);
  t.same([...header.subarray(0, 9)], [0x46, 0x4c, 0x56, 1, 0x05, 0, 0, 0, 9], 'signature, version, audio and video flags, DataOffset');
  const bytes = Buffer.concat([header, ...tags.map(encodeFlvTag)]);
  t.same([...encodeFlvTag(tags[0]!).subarray(0, 11)], [9, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0], 'TagType, DataSize, Timestamp, StreamID');
  for (const step of [1, 5, bytes.length]) {
    const reader = new FlvStreamReader();
    const read: FlvTag[] = [];
    for (let offset = 0; offset < bytes.length; offset += step) read.push(...reader.push(bytes.subarray(offset, offset + step)));
    t.same(read.map((tag) => ({ ...tag, body: [...tag.body] })), tags.map((tag) => ({ ...tag, body: [...tag.body] })), `chunks of ${step} bytes`);
  }
  t.throws(() => new FlvStreamReader().push(Buffer.from('not an flv stream')), { code: 'LIVE_ERR_MEDIA_FORMAT' }, 'anything but FLV is refused');
});

t.test('the ladder never upscales and keeps the source aspect', async (t) => {
  const ladder = [
    { height: 360, bitrate_bps: 600_000 },
    { height: 720, bitrate_bps: 2_500_000 },
    { height: 480, bitrate_bps: 1_200_000 },
  ];
  t.same(renditionsFor(ladder, { width: 1280, height: 720 }), [
    { name: '480p', width: 854, height: 480, videoBitrateBps: 1_200_000 },
    { name: '360p', width: 640, height: 360, videoBitrateBps: 600_000 },
  ], '720p source: 720p is the source itself, the rest tallest first, widths even');
  t.same(renditionsFor(ladder, { width: 640, height: 360 }), [], 'a 360p source has nothing below it');
  const args = ffmpegLadderArgs(renditionsFor(ladder, { width: 1920, height: 1080 }), { preset: 'veryfast' });
  t.same(args.filter((arg) => arg.startsWith('pipe:')), ['pipe:0', 'pipe:3', 'pipe:4', 'pipe:5'], 'stdin in, one pipe per rendition out');
  t.equal(args.filter((arg) => arg === 'source').length, 3, 'every rendition keys where the source does');
});

t.test('the multivariant playlist, as text', async (t) => {
  t.equal(roundBandwidth(1_234_567), 1_300_000, 'rounded up to two significant digits');
  t.equal(roundBandwidth(96_001), 97_000);
  t.equal(
    renderMasterPlaylist([
      { uri: 'source.m3u8', bandwidth: 2_600_000, averageBandwidth: 2_100_000, width: 1280, height: 720, codecs: ['avc1.64001f', 'mp4a.40.2'], frameRate: 30 },
      { uri: '360p.m3u8', bandwidth: 700_000, averageBandwidth: 650_000, width: 640, height: 360, codecs: ['avc1.4d401e'] },
    ]),
    [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-STREAM-INF:BANDWIDTH=2600000,AVERAGE-BANDWIDTH=2100000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=30.000',
      'source.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=700000,AVERAGE-BANDWIDTH=650000,RESOLUTION=640x360,CODECS="avc1.4d401e"',
      '360p.m3u8',
      '',
    ].join('\n'),
  );
});

t.test('boundaries: found within rounding, numbered once written, forgotten on a new source', async (t) => {
  const boundaries = new SourceBoundaries();
  boundaries.started(1133);
  boundaries.started(2133);
  t.equal(boundaries.find(1134)?.ptsMs, 1133, 'a millisecond of rounding');
  t.equal(boundaries.find(1140), undefined, 'a frame off is no boundary');
  const programDateTime = new Date('2026-12-01T01:00:00Z');
  boundaries.written(2133, { mediaSequence: 42, programDateTime });
  boundaries.written(1133, undefined);
  t.same(await boundaries.find(2133)?.listed, { mediaSequence: 42, programDateTime });
  t.equal(await boundaries.find(1133)?.listed, undefined, 'a segment the source could not write');
  boundaries.started(3133);
  const pending = boundaries.find(3133)!.listed;
  boundaries.clear();
  t.equal(await pending, undefined, 'a new source settles what the old one left open');
  t.equal(boundaries.find(2133), undefined);
});

t.test('a segmenter told where segments start cuts only there, whatever the target', async (t) => {
  const starts = new Set([0, 1000, 1500]);
  const segmenter = new HlsSegmenter({ targetDurationSeconds: 2, startsSegment: (keyframe) => starts.has(keyframe.ptsMs) });
  const tags = [avcConfigTag(0), aacConfigTag(0)];
  // 20 fps, a keyframe every 500 ms, for 3 s.
  for (let ms = 0; ms < 3000; ms += 50) {
    tags.push(videoTag(ms, ms % 500 === 0));
    tags.push(audioTag(ms));
  }
  const segments = [...tags.flatMap((tag) => segmenter.push(tag)), ...segmenter.flush()].flatMap((event) => (event.kind === 'segment' ? [event.segment] : []));
  t.same(segments.map((segment) => segment.firstPtsMs), [0, 1000, 1500], 'the chosen keyframes, not every 2 s, and not the other keyframes');
  t.same(segments.map((segment) => segment.durationSeconds).slice(0, 2), [1, 0.5]);
});
