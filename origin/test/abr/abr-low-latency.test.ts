/**
 * An ABR rendition's LL-HLS output against its source's: fed the same clip (as ffmpeg keeps the
 * source's timestamps and keyframes), it cuts its segments where the source's LL segments start
 * and numbers them as the source did, from wherever it starts; when a restart skips segments it
 * starts a playlist of its own numbered from there. A real clip through the front stage.
 */
import { readFile } from 'node:fs/promises';
import t, { type Test } from 'tap';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { LowLatencyBoundaries } from '../../src/abr/low-latency-boundaries.js';
import { LowLatencyLadder } from '../../src/abr/low-latency-ladder.js';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { parseFlvTag, type FlvTag } from '../../src/media/flv-tag.js';
import { HlsSegmenter } from '../../src/media/segmenter.js';
import { LowLatencyStream } from '../../src/packaging/low-latency-stream.js';
import { LowLatencyStreams } from '../../src/packaging/low-latency-streams.js';
import { readSegmentSettings } from '../../src/packaging/segment-settings.js';

const segments = readSegmentSettings({ HLS_SEGMENT_SECONDS: '1' });
const settings = { partTargetSeconds: 0.334, segments, windowSeconds: 60, graceSeconds: 10, cleanupAfterEndSeconds: 60 };

function feed(stream: { take: LowLatencyStream['take']; flush: LowLatencyStream['flush'] }, tags: readonly FlvTag[]): void {
  const segmenter = new HlsSegmenter(segments, [stream]);
  for (const tag of tags) segmenter.push(tag);
}

/** The keyframe tags' index in `tags` by their presentation time. */
function keyframeIndex(tags: readonly FlvTag[], ptsMs: number): number {
  return tags.findIndex((tag) => {
    if (tag.type !== 9) return false;
    const frame = parseFlvTag(tag);
    return frame.kind === 'avc-frame' && frame.keyframe && frame.ptsMs === ptsMs;
  });
}

/** The sequence headers, then the tags from `index` on: what a ladder started at that keyframe is fed. */
function from(tags: readonly FlvTag[], index: number): FlvTag[] {
  const configs = tags.filter((tag) => {
    const kind = tag.type === 9 || tag.type === 8 ? parseFlvTag(tag).kind : undefined;
    return kind === 'avc-config' || kind === 'aac-config';
  });
  return [...configs.map((tag) => ({ ...tag, timestampMs: tags[index]!.timestampMs })), ...tags.slice(index)];
}

async function setUp(t: Test) {
  const timers = new ManualTimers();
  const streams = new LowLatencyStreams({ ...settings, schedule: timers.schedule, reloadSchedule: timers.schedule, firstMediaSequence: () => 1000 });
  t.teardown(() => streams.close());
  const source = streams.start('s1');
  const boundaries = new LowLatencyBoundaries();
  const starts: { ptsMs: number; number: number }[] = [];
  source.onSegmentStarted = (ptsMs, number) => {
    boundaries.started(ptsMs, number);
    starts.push({ ptsMs, number });
  };
  const tags = [...readFlvTags(new Uint8Array(await readFile(testAsset('h264-aac.flv'))))];
  feed(source, tags);
  const ladder = new LowLatencyLadder(['120p'], boundaries, (options) =>
    streams.createUnlisted('s1', { ...options, segmentDates: (number) => source.programDateTimeOf(number) }),
  );
  source.attachVariants(ladder);
  return { source, boundaries, starts, tags, ladder };
}

t.test("a rendition's LL segments start where the source's did, under the source's numbers, from wherever it starts", async (t) => {
  const { source, starts, tags, ladder } = await setUp(t);
  t.ok(starts.length >= 4, `the source started ${starts.length} segments`);
  t.same(starts.map((start) => start.number), starts.map((_, i) => 1000 + i), 'numbered on from the first');
  const third = starts[2]!;
  feed(ladder.consumer('120p')!, from(tags, keyframeIndex(tags, third.ptsMs)));
  const rendition = ladder.rendition('120p')!;
  t.ok(rendition, 'the rendition has an output once a source segment starts');
  t.equal(source.variants?.rendition('120p'), rendition, "the HTTP layer finds it through the source's output");
  const listed = rendition.playlist.segments;
  t.equal(listed[0]!.mediaSequenceNumber, third.number, "its first segment is the source's third");
  t.match(listed[0]!.initSectionUri, /^120p-init-\d+\.mp4$/, 'its names are prefixed with its own');
  t.match(listed[0]!.parts[0]!.uri, new RegExp(`^120p-${third.number}\\.0\\.m4s$`));
  for (const segment of listed) {
    const mine = source.playlist.segments.find((one) => one.mediaSequenceNumber === segment.mediaSequenceNumber)!;
    t.equal(segment.durationSeconds, mine.durationSeconds, `segment ${segment.mediaSequenceNumber} lasts as the source's`);
    t.same(segment.programDateTime, mine.programDateTime, `and is dated as the source's`);
    t.ok(rendition.file(segment.uri), `${segment.uri} stored`);
  }
  t.ok(listed.length >= starts.length - 3, `${listed.length} segments, every one the source finished after the start`);
});

t.test('after a restart that skipped segments, the rendition starts a playlist of its own numbered from there', async (t) => {
  const { starts, tags, ladder } = await setUp(t);
  const consumer = ladder.consumer('120p')!;
  // The ladder's first run gets to the start of the source's second segment and dies; the next one starts at the fourth.
  feed(consumer, from(tags, keyframeIndex(tags, starts[0]!.ptsMs)).slice(0, keyframeIndex(tags, starts[1]!.ptsMs) + 5));
  const first = ladder.rendition('120p')!;
  t.equal(first.playlist.nextMediaSequence, starts[1]!.number, 'the first run got into the second segment');
  feed(consumer, from(tags, keyframeIndex(tags, starts[3]!.ptsMs)));
  const second = ladder.rendition('120p')!;
  t.not(second, first, 'a playlist of its own');
  t.equal(second.playlist.segments[0]!.mediaSequenceNumber, starts[3]!.number, "numbered from the source's fourth");
  t.ok(first.playlist.segments.length > 0, 'the old one had segments');
  t.equal(first.file(first.playlist.segments[0]!.uri), undefined, 'it is closed: its files dropped');
  ladder.close();
  t.equal(ladder.rendition('120p'), undefined, 'close drops the outputs');
});

t.test('without a rung in the source, nothing starts: a keyframe no source segment started at makes no output', async (t) => {
  const { tags, ladder, boundaries } = await setUp(t);
  boundaries.clear();
  feed(ladder.consumer('120p')!, tags);
  t.equal(ladder.rendition('120p'), undefined);
});
