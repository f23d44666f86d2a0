import { readFile } from 'node:fs/promises';
import t from 'tap';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { FallbackMediaError } from '../../src/fallback/fallback-errors.js';
import { FallbackLoop } from '../../src/fallback/fallback-loop.js';
import type { FlvTag } from '../../src/ingest/flv-tag-source.js';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { aacConfigTag, audioTag, avcConfigTag, avStream, videoTag } from '../media/fixtures/flv-tags.js';

const isHeader = (tag: FlvTag) => tag.type === 18 || ((tag.type === 8 || tag.type === 9) && tag.body[1] === 0);

function take(loop: FallbackLoop, count: number): Array<FlvTag & { at: number }> {
  const out: Array<FlvTag & { at: number }> = [];
  for (let i = 0; i < count; i += 1) {
    const at = loop.nextTimeMs;
    out.push({ ...loop.next(), at });
  }
  return out;
}

t.test('one frame after the last: each loop continues the previous one', async (t) => {
  // 1 s: video every 33/34 ms (last at 967), audio every 21/22 ms (last at 981).
  const loop = new FallbackLoop(avStream(1));
  t.equal(loop.loopMs, 1000, 'the video ends at 967 + 33');
  const tags = take(loop, 2 + 3 * (30 + 46));
  t.equal(tags.filter((tag) => tag.type === 8 && tag.timestampMs === 981).length, 0, 'audio past the video (981 + 21) is dropped');
  t.same(tags.slice(0, 2).map((tag) => [tag.type, tag.timestampMs]), [[9, 0], [8, 0]], 'the sequence headers come first, at 0');
  t.equal(tags.slice(2).filter(isHeader).length, 0, 'and only once');
  for (const type of [8, 9]) {
    const times = tags.slice(2).filter((tag) => tag.type === type).map((tag) => tag.timestampMs);
    t.ok(times.every((time, i) => i === 0 || time > times[i - 1]!), `track ${type}: strictly forward across 3 loops`);
  }
  const video = tags.filter((tag) => tag.type === 9 && !isHeader(tag)).map((tag) => tag.timestampMs);
  t.same([video[29], video[30], video[59], video[60]], [967, 1000, 1967, 2000], 'the next loop starts one frame after the last');
  t.ok(tags.every((tag) => tag.at === tag.timestampMs), 'nextTimeMs announces the timestamp next() returns');
});

t.test('a real clip: continuous timestamps, keyframe at each loop start', async (t) => {
  const tags = [...readFlvTags(new Uint8Array(await readFile(testAsset('h264-bframes-aac.flv'))))];
  const loop = new FallbackLoop(tags);
  const media = tags.filter((tag) => !isHeader(tag));
  const played = take(loop, tags.filter(isHeader).length + media.length * 3).filter((tag) => !isHeader(tag));
  const videoSteps: number[] = [];
  for (const type of [8, 9]) {
    const times = played.filter((tag) => tag.type === type).map((tag) => tag.timestampMs);
    for (let i = 1; i < times.length; i += 1) if (type === 9) videoSteps.push(times[i]! - times[i - 1]!);
    t.ok(times.every((time, i) => i === 0 || time > times[i - 1]!), `track ${type}: only forward`);
  }
  t.ok(Math.max(...videoSteps) <= 34, `no gap longer than a frame between loops (max step ${Math.max(...videoSteps)} ms)`);
  const loopStarts = played.filter((tag, i) => i > 0 && tag.type === 9 && tag.timestampMs % loop.loopMs === 0);
  t.ok(loopStarts.length >= 2 && loopStarts.every((tag) => tag.body[0] === 0x17), 'every loop starts with a keyframe');
  t.equal(loop.loopMs, 6000, 'a 6 s clip at 30 fps loops every 6 s');
});

t.test('frames before the first keyframe are dropped; files without media are refused', async (t) => {
  const loop = new FallbackLoop([avcConfigTag(), aacConfigTag(), videoTag(0, false), audioTag(0), videoTag(33, true), videoTag(67, false)]);
  const tags = take(loop, 5);
  t.same(tags.map((tag) => [tag.type, tag.timestampMs, tag.body[0]]), [
    [9, 0, 0x17],
    [8, 0, 0xaf],
    [8, 0, 0xaf],
    [9, 33, 0x17],
    [9, 67, 0x27],
  ]);
  t.throws(() => new FallbackLoop([avcConfigTag(), aacConfigTag()]), FallbackMediaError);
});

t.test('audio only: the loop is measured on the audio; time starts at 0 whatever the file says', async (t) => {
  const loop = new FallbackLoop([aacConfigTag(), audioTag(90_000), audioTag(90_021), audioTag(90_043)]);
  t.equal(loop.loopMs, 65, 'the last frame at 43 lasts the median step, 22 ms');
  t.same(take(loop, 8).map((tag) => tag.timestampMs), [0, 0, 21, 43, 65, 86, 108, 130]);
});
