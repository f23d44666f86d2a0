import { readFile } from 'node:fs/promises';
import t from 'tap';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { TS_CHUNK_BYTES } from '../../src/media/ts-muxer.js';
import type { FlvTag } from '../../src/media/flv-tag.js';
import { HlsSegmenter, type Segment, type SegmenterEvent } from '../../src/media/segmenter.js';
import { AVC_RECORD_640X360, aacConfigTag, audioTag, avcConfigTag, avStream, videoTag } from './fixtures/flv-tags.js';
import { hex, readPackets, readPes } from './fixtures/ts-reader.js';

function run(tags: FlvTag[], segmenter = new HlsSegmenter(), flush = true): SegmenterEvent[] {
  const events: SegmenterEvent[] = [];
  for (const tag of tags) events.push(...segmenter.push(tag));
  if (flush) events.push(...segmenter.flush());
  return events;
}

const segmentsOf = (events: SegmenterEvent[]): Segment[] =>
  events.flatMap((e) => (e.kind === 'segment' ? [e.segment] : []));

const videoPes = (segment: Segment) => readPes(readPackets(segment.chunks)).filter((p) => p.pid === 0x100);

const SPS_320X240 = '00000001 6764000d';

/** Durations to the millisecond: timestamps are whole milliseconds, frame times are not. */
const durations = (segments: Segment[]) => segments.map((s) => Math.round(s.durationSeconds * 1000) / 1000);

t.test('audio + video: tracks first, then segments cut at keyframes after 2 s', async (t) => {
  const events = run(avStream(5));
  t.same(events[0], {
    kind: 'tracks',
    tracks: {
      video: { codec: 'avc1.64000d', width: 320, height: 240 },
      audio: { codec: 'mp4a.40.2', sampleRate: 48000, channels: 2 },
    },
  });
  const segments = segmentsOf(events);
  t.same(segments.map((s) => s.firstDtsMs), [0, 2000, 4000]);
  t.same(durations(segments), [2, 2, 1], 'the last one ends with its last frame (4967 + 33)');
  t.same(segments.map((s) => s.discontinuity), [false, false, false]);
  for (const segment of segments) {
    const [first] = videoPes(segment);
    t.ok(first!.randomAccess, 'starts with a random access point');
    t.ok(Buffer.from(first!.data).toString('hex').startsWith(`0000000109f0${SPS_320X240.replace(' ', '')}`), 'AUD, then SPS');
    t.ok(readPes(readPackets(segment.chunks)).some((p) => p.pid === 0x101), 'has audio');
  }
  t.equal(segments[0]!.lastDtsMs, 1984, 'last audio frame before the cut');
});

t.test('a longer GOP than the target: cuts wait for the keyframe', async (t) => {
  const segments = segmentsOf(run(avStream(6, 75)));
  t.same(segments.map((s) => s.firstDtsMs), [0, 2500, 5000]);
  t.same(durations(segments), [2.5, 2.5, 1]);
});

t.test('the target duration is an option', async (t) => {
  const segments = segmentsOf(run(avStream(4), new HlsSegmenter({ targetDurationSeconds: 1 })));
  t.same(segments.map((s) => s.firstDtsMs), [0, 1000, 2000, 3000]);
  t.throws(() => new HlsSegmenter({ targetDurationSeconds: 0 }), { message: /targetDurationSeconds.*got 0/ });
});

t.test('frames before the first keyframe are dropped', async (t) => {
  const tags = [avcConfigTag(), aacConfigTag(), audioTag(0), videoTag(0, false), videoTag(33, false), audioTag(21), videoTag(67, true), audioTag(64), videoTag(100, false)];
  const [segment] = segmentsOf(run(tags));
  t.equal(segment!.firstDtsMs, 67);
  const pes = readPes(readPackets(segment!.chunks));
  t.same(pes.map((p) => p.pid), [0x100, 0x100, 0x101], 'two video frames, then the audio run from 64 ms');
});

t.test('an IDR the publisher did not flag gets SPS/PPS and random access, but no cut', async (t) => {
  const unflagged = videoTag(1000, false);
  unflagged.body[9] = 0x65; // IDR slice NAL header in an inter-frame tag
  const tags = [avcConfigTag(), videoTag(0, true), videoTag(500, false), unflagged, videoTag(2500, false)];
  const segments = segmentsOf(run(tags, new HlsSegmenter({ targetDurationSeconds: 0.5, trackProbeMs: 0 })));
  t.equal(segments.length, 1);
  const [, , idr] = videoPes(segments[0]!);
  t.ok(idr!.randomAccess);
  t.ok(Buffer.from(idr!.data).toString('hex').startsWith(`0000000109f0${SPS_320X240.replace(' ', '')}`));
});

t.test('audio-only streams are decided after the probe window and cut on time', async (t) => {
  const events = run(avStream(5, 30, { video: false }));
  t.same(events[0], { kind: 'tracks', tracks: { audio: { codec: 'mp4a.40.2', sampleRate: 48000, channels: 2 } } });
  const segments = segmentsOf(events);
  t.same(segments.map((s) => s.firstDtsMs), [0, 2005, 4011], 'first frames at or after each 2 s');
  const total = segments.reduce((sum, s) => sum + s.durationSeconds, 0);
  t.equal(Math.round(total * 1000), 4992 + 21, 'durations add up to the end of the last frame');
  const pes = readPes(readPackets(segments[0]!.chunks));
  t.ok(pes.every((p) => p.pid === 0x101));
  t.ok(pes[0]!.pcr !== undefined && pes[0]!.randomAccess, 'PCR and random access on the audio PID');
  t.ok(pes.length >= 18 && pes.length <= 21, `frames grouped about 100 ms per PES (${pes.length} PES for 2 s)`);
});

t.test('video-only streams keep the frames held during the probe', async (t) => {
  const events = run(avStream(3, 30, { audio: false }));
  t.same(events[0], { kind: 'tracks', tracks: { video: { codec: 'avc1.64000d', width: 320, height: 240 } } });
  t.same(segmentsOf(events).map((s) => s.firstDtsMs), [0, 2000]);
});

t.test('a stream shorter than the probe window comes out on flush', async (t) => {
  const segments = segmentsOf(run([aacConfigTag(), audioTag(0), audioTag(21), audioTag(43)]));
  t.equal(segments.length, 1);
  t.equal(segments[0]!.durationSeconds, (43 + 1024 / 48) / 1000);
});

t.test('unsupported codecs are rejected with a reason, then input is ignored', async (t) => {
  // Enhanced RTMP: IsExHeader + keyframe + SequenceStart, FourCC hvc1, then an HEVC record
  const hevc: FlvTag = { type: 9, timestampMs: 0, body: hex('90 68766331 01016000000090000000000078f000') };
  const segmenter = new HlsSegmenter();
  t.same(segmenter.push(aacConfigTag()), []);
  t.same(segmenter.push(hevc), [
    { kind: 'rejected', reason: 'video codec hevc is not supported: HLS packaging takes H.264 video and AAC audio' },
  ]);
  t.same(segmenter.push(audioTag(0)), []);
  t.same(segmenter.flush(), []);
  const mp3: FlvTag = { type: 8, timestampMs: 0, body: hex('2f fffb9064') };
  t.match(run([mp3]), [{ kind: 'rejected', reason: /audio codec mp3 is not supported/ }]);
});

t.test('malformed data is rejected with what was wrong', async (t) => {
  const broken: FlvTag = { type: 9, timestampMs: 0, body: hex('17 01 000000 00000001 65 88800000 aabb') };
  t.match(run([avcConfigTag(), aacConfigTag(), broken]), [{ kind: 'tracks' }, { kind: 'rejected', reason: /NAL length/ }]);
  t.match(run([{ type: 9, timestampMs: 0, body: hex('17 00 000000 02 64000d ff e1 0000') }]), [{ kind: 'rejected', reason: /version 2/ }]);
});

t.test('an empty sequence header is "not known yet": the real one after it is used, nothing is rejected', async (t) => {
  // As ffmpeg writes FLV from MPEG-TS with -c copy (an SRT or HLS pull, a relayed .ts): empty
  // headers first, the real ones with the first packets.
  const emptyAudio: FlvTag = { type: 8, timestampMs: 0, body: hex('af 00') };
  const emptyVideo: FlvTag = { type: 9, timestampMs: 0, body: hex('17 00 000000') };
  const [, , ...rest] = avStream(3);
  const events = run([emptyVideo, emptyAudio, audioTag(0), avcConfigTag(0), aacConfigTag(0), ...rest]);
  t.notOk(events.some((e) => e.kind === 'rejected'), 'not rejected');
  t.match(events[0], { kind: 'tracks', tracks: { video: { codec: 'avc1.64000d' }, audio: { codec: 'mp4a.40.2', sampleRate: 48000 } } }, 'both tracks, from the real headers');
  t.same(segmentsOf(events).map((s) => s.firstDtsMs), [0, 2000], 'segmented as usual');
  const later = run([...avStream(3), emptyAudio, audioTag(3100)]);
  t.notOk(later.some((e) => e.kind === 'rejected' || (e.kind === 'tracks' && e.tracks !== undefined && later.indexOf(e) > 0)), 'an empty header mid-stream changes nothing');
});

t.test('a new SPS mid-stream: new tracks, cut at the next keyframe, discontinuity', async (t) => {
  const tags = avStream(3);
  const at = tags.findIndex((tag) => tag.timestampMs >= 1500);
  tags.splice(at, 0, avcConfigTag(0), avcConfigTag(1500, AVC_RECORD_640X360));
  const events = run(tags);
  const tracks = events.filter((e) => e.kind === 'tracks');
  t.equal(tracks.length, 2, 'a repeated identical header changes nothing');
  t.match(tracks[1], { tracks: { video: { codec: 'avc1.42c01e', width: 640, height: 360 } } });
  const segments = segmentsOf(events);
  t.same(segments.map((s) => [s.firstDtsMs, s.discontinuity]), [[0, false], [2000, true]], 'cut at 2000 even if short');
  const first = Buffer.from(videoPes(segments[1]!)[0]!.data).toString('hex');
  t.ok(first.startsWith('0000000109f0000000016742c01e'), 'the IDR carries the new SPS');
});

t.test('timestamps: a 32-bit wrap continues, a reset starts a discontinuity', async (t) => {
  const base = 2 ** 32 - 1000;
  const wrapped = avStream(3).map((tag) => ({ ...tag, timestampMs: (tag.timestampMs + base) % 2 ** 32 }));
  const segments = segmentsOf(run(wrapped));
  t.same(segments.map((s) => s.firstDtsMs - base), [0, 2000]);
  t.same(segments.map((s) => s.discontinuity), [false, false]);

  const reset = [...avStream(3), ...avStream(2).filter((tag) => tag.body[1] !== 0)];
  const afterReset = segmentsOf(run(reset));
  t.same(afterReset.map((s, i) => [s.firstDtsMs, durations(afterReset)[i], s.discontinuity]), [
    [0, 2, false],
    [2000, 1, false],
    [0, 2, true],
  ]);
});

t.test('tag bodies may be reused by the caller after push', async (t) => {
  const body = new Uint8Array(302);
  const tags: FlvTag[] = [aacConfigTag()];
  const reference = [aacConfigTag()];
  for (let i = 0; i < 60; i++) {
    tags.push({ type: 8, timestampMs: Math.round(i * 21.333), body });
    reference.push(audioTag(Math.round(i * 21.333)));
  }
  const segmenter = new HlsSegmenter();
  const events: SegmenterEvent[] = [];
  for (const [i, tag] of tags.entries()) {
    if (i > 0) body.set(reference[i]!.body);
    events.push(...segmenter.push(tag));
    body.fill(0xee);
  }
  events.push(...segmenter.flush());
  t.ok(Buffer.concat(segmentsOf(events)[0]!.chunks).equals(Buffer.concat(segmentsOf(run(reference))[0]!.chunks)));
});

t.test('tracks are exposed once decided', async (t) => {
  const segmenter = new HlsSegmenter();
  t.equal(segmenter.tracks, undefined);
  run(avStream(1), segmenter, false);
  t.match(segmenter.tracks, { video: { codec: 'avc1.64000d' }, audio: { codec: 'mp4a.40.2' } });
});

/** 30 fps video with a keyframe only at the start, for `seconds`, and AAC beside it unless `audio` is false. */
function oneKeyframeStream(seconds: number, { audio = true } = {}): FlvTag[] {
  return avStream(seconds, Number.MAX_SAFE_INTEGER, { audio });
}

t.test('no keyframe after the first: segments are cut at the maximum duration anyway', async (t) => {
  const segmenter = new HlsSegmenter({ targetDurationSeconds: 2, maxDurationSeconds: 10 });
  const segments = segmentsOf(run(oneKeyframeStream(45), segmenter));
  t.same(segments.map((s) => s.firstDtsMs), [0, 10000, 20000, 30000, 40000]);
  t.same(durations(segments), [10, 10, 10, 10, 5], 'the last one ends with its last frame');
  t.ok(segments.every((s) => Math.round(s.durationSeconds) <= 10), 'no EXTINF rounds above the maximum');
  t.same(segments.map((s) => s.discontinuity), [false, false, false, false, false], 'the timeline goes on');
  t.ok(videoPes(segments[0]!)[0]!.randomAccess, 'the first segment starts with the keyframe');
  for (const segment of segments.slice(1)) {
    const pes = readPes(readPackets(segment.chunks));
    t.notOk(videoPes(segment)[0]!.randomAccess, 'later ones start with whatever frame came next');
    t.ok(pes.some((p) => p.pid === 0x100) && pes.some((p) => p.pid === 0x101), 'with video and audio');
    t.ok(pes.find((p) => p.pid === 0x100)!.pcr !== undefined, 'and a PCR on the first video PES');
  }
});

t.test('the maximum defaults to 10 times the target, like nginx-rtmp hls_max_fragment', async (t) => {
  const segments = segmentsOf(run(oneKeyframeStream(25, { audio: false }), new HlsSegmenter({ targetDurationSeconds: 1 })));
  t.same(segments.map((s) => s.firstDtsMs), [0, 10000, 20000]);
  t.throws(() => new HlsSegmenter({ targetDurationSeconds: 2, maxDurationSeconds: 1 }), { message: /maxDurationSeconds must be a number >= targetDurationSeconds \(2\), got 1/ });
  t.throws(() => new HlsSegmenter({ maxSegmentBytes: 1000 }), { message: /maxSegmentBytes must be >= 65536, got 1000/ });
});

t.test('keyframes within the maximum: cuts stay at keyframes', async (t) => {
  const segments = segmentsOf(run(avStream(30, 150), new HlsSegmenter({ targetDurationSeconds: 2, maxDurationSeconds: 6 })));
  t.same(segments.map((s) => s.firstDtsMs), [0, 5000, 10000, 15000, 20000, 25000], 'a 5 s GOP is under the maximum');
  for (const segment of segments) t.ok(videoPes(segment)[0]!.randomAccess);
});

t.test('a pause in the media across the maximum: the segment ends at the maximum, the next is a discontinuity', async (t) => {
  const before = oneKeyframeStream(9.5, { audio: false });
  const after = Array.from({ length: 90 }, (_, i) => videoTag(14_000 + Math.round((i * 1000) / 30), false));
  const segments = segmentsOf(run([...before, ...after], new HlsSegmenter({ targetDurationSeconds: 2, maxDurationSeconds: 10 })));
  t.same(segments.map((s) => [s.firstDtsMs, durations([s])[0], s.discontinuity]), [
    [0, 10, false],
    [14000, 3, true],
  ]);
});

t.test('video that stops while audio goes on: the audio is cut at the maximum too', async (t) => {
  const tags = avStream(25, Number.MAX_SAFE_INTEGER).filter((tag) => tag.type !== 9 || tag.timestampMs < 1000);
  const segments = segmentsOf(run(tags, new HlsSegmenter({ targetDurationSeconds: 2, maxDurationSeconds: 10 })));
  t.same(segments.map((s) => Math.floor(s.firstDtsMs / 1000)), [0, 10, 20]);
  t.ok(durations(segments).every((d) => Math.round(d) <= 10), `${durations(segments)}`);
});

t.test('a segment that reaches the byte bound is cut at the next later timestamp', async (t) => {
  const maxSegmentBytes = 256 * 1024;
  const tags: FlvTag[] = [avcConfigTag(), videoTag(0, true, 0, 20_000)];
  for (let i = 1; i < 60; i++) tags.push(videoTag(i, false, 0, 20_000)); // 1 ms apart: bytes, not time, decide
  const segments = segmentsOf(run(tags, new HlsSegmenter({ maxSegmentBytes, trackProbeMs: 0 })));
  t.ok(segments.length >= 4, `${segments.length} segments`);
  for (const bytes of segments.map((s) => Buffer.concat(s.chunks).length)) t.ok(bytes < maxSegmentBytes + 21_000, `${bytes} bytes: the bound plus one frame at most`);
  t.same(segments.map((s) => s.firstDtsMs).slice(0, 2), [0, segments[0]!.lastDtsMs + 1], 'cut before the next frame');
});

t.test('timestamps that never advance while a segment fills up: rejected with the reason', async (t) => {
  const tags: FlvTag[] = [avcConfigTag(), videoTag(0, true, 0, 20_000)];
  for (let i = 1; i < 40; i++) tags.push(videoTag(0, false, 0, 20_000));
  const events = run(tags, new HlsSegmenter({ maxSegmentBytes: 256 * 1024, trackProbeMs: 0 }));
  t.same(events.filter((e) => e.kind === 'rejected'), [{ kind: 'rejected', reason: 'a segment reached 262144 bytes without its timestamps advancing' }]);
});

t.test('a new SPS and no keyframe after it: the cut at the maximum carries the discontinuity', async (t) => {
  const tags = oneKeyframeStream(15, { audio: false });
  const at = tags.findIndex((tag) => tag.timestampMs >= 3000);
  tags.splice(at, 0, avcConfigTag(3000, AVC_RECORD_640X360));
  const segments = segmentsOf(run(tags, new HlsSegmenter({ targetDurationSeconds: 2, maxDurationSeconds: 10 })));
  t.same(segments.map((s) => [s.firstDtsMs, s.discontinuity]), [[0, false], [10000, true]]);
});

t.test('progressiveBytes: a segment comes out as it is muxed, in full chunks, then the rest; together the same bytes as whole', async (t) => {
  const tags = [...readFlvTags(new Uint8Array(await readFile(testAsset('h264-aac.flv'))))];
  const whole = segmentsOf(run(tags, new HlsSegmenter()));
  const events = run(tags, new HlsSegmenter({ progressiveBytes: 100_000 }));
  const rebuilt: { bytes: Buffer; segment: Segment }[] = [];
  let soFar: Uint8Array[] = [];
  let steps = 0;
  for (const event of events) {
    if (event.kind === 'segment-bytes') {
      t.ok(event.chunks.length >= 2 && event.chunks.every((chunk) => chunk.byteLength === TS_CHUNK_BYTES), 'whole chunks, at least the bytes asked for');
      soFar.push(...event.chunks);
      steps += 1;
    } else if (event.kind === 'segment') {
      rebuilt.push({ bytes: Buffer.concat([...soFar, ...event.segment.chunks]), segment: event.segment });
      soFar = [];
    }
  }
  t.ok(steps > 0, `segments came out in ${steps} steps before they ended`);
  t.same(soFar, [], 'nothing after the last segment');
  t.equal(rebuilt.length, whole.length, `${whole.length} segments either way`);
  for (const [i, { bytes, segment }] of rebuilt.entries()) {
    t.same(bytes, Buffer.concat(whole[i]!.chunks), `segment ${i}: the same bytes`);
    t.equal(segment.byteLength, bytes.length, `segment ${i}: byteLength is the whole segment's`);
    t.equal(segment.durationSeconds, whole[i]!.durationSeconds);
  }
});
