import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import HLS from 'hls-parser';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { HlsStreamWriter } from '../../src/hls/hls-stream-writer.js';
import type { FlvTag } from '../../src/ingest/flv-tag-source.js';
import { SegmentDelayStats } from '../../src/packaging/segment-delay-stats.js';
import { readSegmentSettings } from '../../src/packaging/segment-settings.js';
import { framesPerSecond } from '../../src/media/video-frame-counter.js';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { StreamPackager } from '../../src/packaging/stream-packager.js';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { avStream } from '../media/fixtures/flv-tags.js';

const shifted = (tags: FlvTag[], byMs: number) => tags.map((tag) => ({ ...tag, timestampMs: tag.timestampMs + byMs }));

/** A packager writing into `folder`, its rejections in `rejected`. */
function packagerIn(t: Test, folder: string) {
  const writer = HlsStreamWriter.create({
    folder,
    targetDurationSeconds: 2,
    windowSeconds: 60,
    segmentGraceMs: 60_000,
    firstMediaSequence: 0,
    onBackgroundError: (error) => t.fail(error.message),
  });
  t.teardown(async () => (await writer).close());
  const rejected: string[] = [];
  const packager = new StreamPackager({
    streamName: 'abc12345',
    segments: readSegmentSettings({}),
    writer,
    logger: pino({ level: 'silent' }),
    delays: new SegmentDelayStats(),
    onRejected: (reason) => rejected.push(reason),
  });
  return { packager, rejected };
}

t.test("the source's media: tracks and frame rate of an ffmpeg clip; a new source starts afresh", async (t) => {
  const { packager, rejected } = packagerIn(t, join(t.testdir(), 'abc12345'));
  const start = packager.media;
  t.same(start, { tracks: undefined, videoFrames: { intervals: 0, spanMs: 0 } });
  // 640x360 Constrained Baseline at 30 fps, AAC-LC 48 kHz stereo (test-assets/make-assets.sh).
  for (const tag of readFlvTags(new Uint8Array(await readFile(testAsset('h264-aac.flv'))))) packager.push(tag);
  const { tracks, videoFrames } = packager.media;
  t.same(tracks, {
    video: { codec: 'avc1.42c01e', width: 640, height: 360 },
    audio: { codec: 'mp4a.40.2', sampleRate: 48_000, channels: 2 },
  });
  t.equal(framesPerSecond(start.videoFrames, videoFrames), 30);
  packager.switchSource();
  t.same(packager.media, start);
  await packager.end();
  t.same(rejected, []);
});

t.test('a source switch closes the segment in progress and flags the next one, even when nothing else changes', async (t) => {
  const folder = join(t.testdir(), 'abc12345');
  const { packager, rejected } = packagerIn(t, folder);
  // 3 s of one source, then the same encoding with timestamps that go right on: only the
  // switch says that something changed.
  for (const tag of avStream(3)) packager.push(tag);
  packager.switchSource();
  for (const tag of shifted(avStream(3), 3000)) packager.push(tag);
  packager.switchSource();
  packager.switchSource();
  for (const tag of shifted(avStream(2), 6000)) packager.push(tag);
  await packager.end();

  const playlist = HLS.parse(await readFile(join(folder, 'index.m3u8'), 'utf8')) as HLS.types.MediaPlaylist;
  t.same(
    playlist.segments.map((segment) => [segment.duration, segment.discontinuity === true]),
    [
      [2, false],
      [1, false],
      [2, true],
      [1, false],
      [2, true],
    ],
    'the 3 s sources end in a 1 s segment; the switch, not the timeline, flags the next one',
  );
  t.ok(playlist.endlist);
  t.same(rejected, []);
});
