/**
 * The LL-HLS store of one stream, fed a real clip through the front stage: what it holds, for how
 * long (deletions run on manual timers), and what a new source or the end does to its playlist.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { HlsSegmenter } from '../../src/media/segmenter.js';
import { LowLatencyStream } from '../../src/packaging/low-latency-stream.js';
import { LowLatencyStreams } from '../../src/packaging/low-latency-streams.js';
import { readSegmentSettings } from '../../src/packaging/segment-settings.js';

const segments = readSegmentSettings({});
const options = { partTargetSeconds: 0.334, segments, windowSeconds: 4, graceSeconds: 10, firstMediaSequence: 500 };

async function feed(stream: LowLatencyStream, clip = 'h264-aac.flv'): Promise<void> {
  const segmenter = new HlsSegmenter(segments, [stream]);
  for (const tag of readFlvTags(new Uint8Array(await readFile(testAsset(clip))))) segmenter.push(tag);
  segmenter.flush();
}

t.test('files are stored before they are listed; segments that leave the window go after the grace period, with their parts', async (t) => {
  const timers = new ManualTimers();
  const stream = new LowLatencyStream({ ...options, schedule: timers.schedule });
  await feed(stream);
  await feed(stream);
  const { playlist } = stream;
  for (const segment of playlist.segments) {
    t.ok(stream.file(segment.uri), `${segment.uri} stored`);
    t.ok(stream.file(segment.initSectionUri), `${segment.initSectionUri} stored`);
    for (const part of segment.parts) t.ok(stream.file(part.uri), `${part.uri} stored`);
  }
  t.ok(playlist.mediaSequence > 500, 'a 4 s window: the first segments left the playlist');
  t.ok(stream.file('500.m4s') && stream.file('500.0.m4s'), 'and are still downloadable during the grace period');
  t.ok(stream.file('init-500.mp4'), 'their init section too');
  timers.advance(10_000);
  t.notOk(stream.file('500.m4s'), 'gone after the grace period');
  t.notOk(stream.file('500.0.m4s'), 'with its parts');
  t.notOk(stream.file('init-500.mp4'), 'and the first source\'s init, no longer used by any segment');
  t.ok(stream.file(playlist.segments[0]!.initSectionUri), 'the init the listed segments use stays');
  stream.close();
  t.same(timers.pending, [], 'close cancels the deletions');
});

t.test('a new source is a discontinuity with its own init section; the end is ENDLIST; a returning publisher resumes', async (t) => {
  const timers = new ManualTimers();
  const streams = new LowLatencyStreams({ ...options, windowSeconds: 60, cleanupAfterEndSeconds: 300, schedule: timers.schedule, firstMediaSequence: () => 500 });
  const stream = streams.start('s1');
  await feed(stream);
  await feed(stream, 'aac-only.flv');
  const second = stream.playlist.segments.find((segment) => segment.discontinuity);
  t.ok(second, 'the second source opens with a discontinuity');
  t.not(second!.initSectionUri, stream.playlist.segments[0]!.initSectionUri, 'and a new init section');
  stream.end();
  t.ok(stream.playlist.ended);
  t.match(stream.playlist.render(), /#EXT-X-ENDLIST\n$/);

  streams.finished('s1');
  t.equal(streams.start('s1'), stream, 'a publisher back before the cleanup continues the stream');
  t.notOk(stream.playlist.ended, 'ENDLIST goes');
  streams.finished('s1');
  timers.advance(300_000);
  t.equal(streams.get('s1'), undefined, 'cleaned up after HLS_CLEANUP_AFTER_END_SECONDS');
  t.equal(stream.file(second!.uri), undefined, 'its files dropped');
});
