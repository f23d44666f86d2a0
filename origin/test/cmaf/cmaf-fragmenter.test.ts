import t from 'tap';
import { type CmafEvent, CmafFragmenter, type CmafFragmenterOptions, type CmafInit, type CmafPart } from '../../src/cmaf/cmaf-fragmenter.js';
import type { AacFrame, AvcFrame, MediaFrame } from '../../src/media/flv-tag.js';
import { DEFAULT_PART_TARGET_SECONDS } from '../../src/llhls/llhls-settings.js';
import { MediaFormatError } from '../../src/media/media-format-error.js';
import { audioConfigFrom, videoConfigFrom } from '../../src/media/stream-config.js';
import { AVC_RECORD_320X240, AVC_RECORD_640X360 } from '../media/fixtures/flv-tags.js';
import { hex } from '../media/fixtures/ts-reader.js';
import { find, findAll, readBoxes, readTfdt, readTfhd, readTrun } from './fixtures/box-reader.js';

const video = videoConfigFrom(hex(AVC_RECORD_320X240));
const audio = audioConfigFrom(hex('1190'));

/** One H.264 frame: a 4-byte NAL length, then an IDR (keyframe) or non-IDR slice of `size` bytes. */
function avc(dtsMs: number, keyframe: boolean, compositionMs = 0, size = 100): AvcFrame {
  const data = new Uint8Array(4 + size).fill(0xab);
  new DataView(data.buffer).setUint32(0, size);
  data[4] = keyframe ? 0x65 : 0x41;
  return { kind: 'avc-frame', dtsMs, ptsMs: dtsMs + compositionMs, keyframe, data };
}

function aac(dtsMs: number, size = 50): AacFrame {
  return { kind: 'aac-frame', dtsMs, data: new Uint8Array(size).fill(0x21) };
}

/** `seconds` of 30 fps video (keyframe every `gop` frames) and 48 kHz AAC, interleaved by timestamp as encoders send them. */
function avFrames(seconds: number, { gop = 30, startMs = 0, withVideo = true, withAudio = true } = {}): MediaFrame[] {
  const frames: MediaFrame[] = [];
  if (withVideo) for (let i = 0; i < seconds * 30; i++) frames.push(avc(startMs + Math.round((i * 1000) / 30), i % gop === 0));
  if (withAudio) for (let i = 0; i < (seconds * 48000) / 1024; i++) frames.push(aac(startMs + Math.round((i * 1024000) / 48000)));
  return frames.sort((a, b) => a.dtsMs - b.dtsMs);
}

function run(fragmenter: CmafFragmenter, frames: MediaFrame[], { flush = true } = {}): CmafEvent[] {
  const events: CmafEvent[] = [];
  for (const frame of frames) events.push(...fragmenter.push(frame));
  if (flush) events.push(...fragmenter.flush());
  return events;
}

const partsOf = (events: CmafEvent[]): CmafPart[] => events.flatMap((e) => (e.kind === 'part' ? [e.part] : []));
const initsOf = (events: CmafEvent[]): CmafInit[] => events.flatMap((e) => (e.kind === 'init' ? [e.init] : []));

interface ParsedTraf {
  trackId: number;
  baseDecodeTime: number;
  samples: { decodeTime: number; duration: number; size: number; flags: number; compositionOffset: number }[];
}

/** A part's bytes read back (its chunks back to back): each traf's samples with their decode times. */
function trafs(part: CmafPart): ParsedTraf[] {
  const moofs = findAll(readBoxes(Buffer.concat(part.chunks.map((chunk) => chunk.data))), 'moof');
  return moofs.flatMap((moof) => findAll(moof.children, 'traf')).map((traf) => {
    const tfhd = readTfhd(find(traf.children, 'tfhd'));
    const { baseMediaDecodeTime } = readTfdt(find(traf.children, 'tfdt'));
    let time = baseMediaDecodeTime;
    const samples = readTrun(find(traf.children, 'trun')).samples.map((s) => {
      const sample = { decodeTime: time, duration: s.duration!, size: s.size!, flags: s.flags ?? tfhd.defaultSampleFlags!, compositionOffset: s.compositionOffset ?? 0 };
      time += sample.duration;
      return sample;
    });
    return { trackId: tfhd.trackId, baseDecodeTime: baseMediaDecodeTime, samples };
  });
}

/** Every sample of one track across parts, in order. */
function samplesOf(parts: CmafPart[], trackId: number): ParsedTraf['samples'] {
  return parts.flatMap((part) => trafs(part).filter((traf) => traf.trackId === trackId).flatMap((traf) => traf.samples));
}

function started(options: CmafFragmenterOptions = {}, tracks: Parameters<CmafFragmenter['start']>[0] = { video, audio }): CmafFragmenter {
  const fragmenter = new CmafFragmenter(options);
  fragmenter.start(tracks);
  return fragmenter;
}

t.test('start gives the init segment; frames before the first keyframe are dropped', async (t) => {
  const fragmenter = new CmafFragmenter();
  const [event] = fragmenter.start({ video, audio });
  t.match(event, { kind: 'init', init: { codecs: 'avc1.64000d,mp4a.40.2', discontinuity: false } });
  t.same(readBoxes((event as { init: CmafInit }).init.data).map((b) => b.type), ['ftyp', 'moov']);
  const parts = partsOf(run(fragmenter, [aac(0), avc(0, false), aac(21), avc(33, true), aac(43), avc(67, false), aac(64)]));
  t.equal(parts.length, 1);
  t.same(samplesOf(parts, 1).map((s) => s.decodeTime), [33 * 90, 67 * 90], 'video from the keyframe on');
  t.same(samplesOf(parts, 2).map((s) => s.decodeTime), [43 * 48, 43 * 48 + 1024], 'audio arriving after it');
});

t.test('parts of about 0.2 s, segments from keyframe to keyframe after 2 s, decode times continuous', async (t) => {
  const frames = avFrames(5, { gop: 30 });
  const parts = partsOf(run(started(), frames));
  const segments: CmafPart[][] = [[]];
  for (const part of parts) {
    segments[segments.length - 1]!.push(part);
    if (part.endsSegment) segments.push([]);
  }
  segments.pop();
  t.same(segments.map((s) => s.length), [10, 10, 5], 'ten 0.2 s parts per 2 s segment, then the rest');
  t.same(segments.map((s) => s[0]!.startSeconds), [0, 2, 4], 'segments start at keyframes');
  t.ok(parts.slice(0, -1).every((p) => Math.abs(p.durationSeconds - 0.2) < 0.001), 'each part lasts 0.2 s');
  t.same(parts.filter((p) => p.independent).map((p) => p.startSeconds), [0, 1, 2, 3, 4], 'parts starting with a keyframe are independent');
  t.same(parts.map((p) => p.sequenceNumber), parts.map((_, i) => 2 * i + 1), 'two chunks a part, numbered on');

  for (const trackId of [1, 2]) {
    const runs = parts.map((p) => p.tracks.find((track) => track.trackId === trackId)!);
    const breaks = runs.slice(1).filter((r, i) => r.baseDecodeTime !== runs[i]!.baseDecodeTime + runs[i]!.duration);
    t.same(breaks, [], `track ${trackId}: each tfdt is the previous one plus its durations`);
  }
  for (const part of parts) {
    t.same(trafs(part).map((traf) => [traf.trackId, traf.baseDecodeTime, traf.samples.length]), part.tracks.map((r) => [r.trackId, r.baseDecodeTime, r.sampleCount]));
    const cut = part.startSeconds + part.durationSeconds;
    const lateAudio = trafs(part).filter((traf) => traf.trackId === 2).flatMap((traf) => traf.samples).filter((s) => s.decodeTime / 48000 >= cut);
    t.same(lateAudio, [], `audio of part ${part.sequenceNumber} starts before its cut`);
  }

  const videoSamples = samplesOf(parts, 1);
  const videoFrames = frames.filter((f) => f.kind === 'avc-frame');
  t.equal(videoSamples.length, videoFrames.length, 'every video frame comes out');
  t.same(videoSamples.map((s) => s.decodeTime), videoFrames.map((f) => f.dtsMs * 90), 'decode times are the RTMP timestamps at 90 kHz');
  t.same(videoSamples.slice(0, -1).map((s) => s.duration), videoFrames.slice(1).map((f, i) => (f.dtsMs - videoFrames[i]!.dtsMs) * 90), 'durations from the next DTS');
  t.same(videoSamples.map((s) => s.flags), videoFrames.map((f) => ((f as AvcFrame).keyframe ? 0x02000000 : 0x01010000)));
  const audioSamples = samplesOf(parts, 2);
  t.equal(audioSamples.length, frames.length - videoFrames.length, 'every audio frame comes out');
  t.ok(audioSamples.every((s) => s.duration === 1024), 'AAC frames last 1024 samples despite millisecond timestamps');
});

t.test('a part is one chunk per track: moof (one traf) + mdat, video then audio, mfhd counting up', async (t) => {
  const parts = partsOf(run(started(), avFrames(3)));
  const sequenceNumbers: number[] = [];
  for (const part of parts) {
    t.same(part.chunks.map((chunk) => chunk.trackId), part.tracks.map((track) => track.trackId));
    for (const chunk of part.chunks) {
      const boxes = readBoxes(chunk.data);
      t.same(boxes.map((box) => box.type), ['moof', 'mdat'], `chunk ${chunk.trackId} of part ${part.sequenceNumber}`);
      const moof = find(boxes, 'moof');
      t.same(findAll(moof.children, 'traf').map((traf) => readTfhd(find(traf.children, 'tfhd')).trackId), [chunk.trackId], 'one traf, of its track');
      sequenceNumbers.push(new DataView(chunk.data.buffer, chunk.data.byteOffset).getUint32(20));
    }
  }
  t.same(parts.map((p) => p.chunks.length), parts.map(() => 2), 'audio and video in every part');
  t.same(sequenceNumbers, sequenceNumbers.map((_, i) => i + 1), 'mfhd sequence numbers increase by one per chunk');
});

t.test('per-track inits: ftyp + moov with one track, the track_ID of the muxed init', async (t) => {
  const [event] = new CmafFragmenter().start({ video, audio });
  const init = (event as { init: CmafInit }).init;
  t.same(init.trackInits.map((i) => [i.track.kind, i.track.id]), [['video', 1], ['audio', 2]]);
  for (const trackInit of init.trackInits) {
    const moov = find(readBoxes(trackInit.data), 'moov');
    const traks = findAll(moov.children, 'trak');
    t.equal(traks.length, 1, `${trackInit.track.kind}: one trak`);
    t.equal(new DataView(traks[0]!.children[0]!.body.buffer, traks[0]!.children[0]!.body.byteOffset).getUint32(12), trackInit.track.id, 'tkhd track_ID');
  }
  const [audioOnly] = new CmafFragmenter().start({ audio });
  const single = (audioOnly as { init: CmafInit }).init;
  t.equal(single.trackInits[0]!.data, single.data, 'a single-track init is its own track init');
});

t.test('B-frames: signed composition offsets from the FLV composition times', async (t) => {
  // Decode order I P B B with presentation order I B B P; the last frame's composition time is negative.
  const frames = [avc(0, true, 67), avc(33, false, 100), avc(67, false, 0), avc(100, false, 33), avc(133, false, -33)];
  const samples = samplesOf(partsOf(run(started({}, { video }), frames)), 1);
  t.same(samples.map((s) => s.compositionOffset), [67 * 90, 100 * 90, 0, 33 * 90, -33 * 90]);
  t.same(samples.map((s) => s.decodeTime + s.compositionOffset), frames.map((f) => f.ptsMs * 90), 'presentation times are the FLV ones');
});

t.test('audio: a gap beyond half a frame is kept, rounding jitter is not', async (t) => {
  const times = [0, 21, 43, 64, /* 5 frames lost */ 192, 213];
  const samples = samplesOf(partsOf(run(started({}, { audio }), times.map((ms) => aac(ms)))), 2);
  t.same(samples.map((s) => s.decodeTime), [0, 1024, 2048, 3072, 192 * 48, 192 * 48 + 1024]);
  t.same(samples.map((s) => s.duration), [1024, 1024, 1024, 192 * 48 - 3072, 1024, 1024]);
  t.ok(samples.every((s) => s.compositionOffset === 0), 'presentation follows the decode time');
});

t.test('a timestamp reset keeps decode times going forward from where the media ended', async (t) => {
  // The second second restarts at 0 (an encoder restart), starting with a keyframe.
  const parts = partsOf(run(started(), [...avFrames(1), ...avFrames(1)]));
  const videoSamples = samplesOf(parts, 1);
  t.equal(videoSamples.length, 60);
  const steps = videoSamples.slice(1).map((s, i) => s.decodeTime - videoSamples[i]!.decodeTime);
  // The media ended with audio at 47 x 1024 / 48 kHz = 1002.67 ms: both tracks continue at 1003 ms,
  // so the last video frame before the reset (967 ms) lasts 36 ms.
  t.equal(steps[29], (1003 - 967) * 90, 'the reset continues at the later end of the two tracks, in whole milliseconds');
  t.ok(steps.every((step) => step >= 2970 && step <= 3240), 'every other step is a frame');
  t.same(videoSamples.slice(30).map((s) => s.decodeTime), videoSamples.slice(0, 30).map((s) => s.decodeTime + 1003 * 90), 'the second second repeats the first, shifted');
  const audioSamples = samplesOf(parts, 2);
  t.ok(audioSamples.every((s) => s.duration === 1024), 'audio continues without a gap');
  t.equal(audioSamples[47]!.decodeTime, 47 * 1024, 'its first frame after the reset (mapped to 1003 ms) snaps to where audio ended');
});

t.test('a new init: the run ends with a final part, the init is a discontinuity, decode times continue', async (t) => {
  const fragmenter = started();
  const first = run(fragmenter, avFrames(1), { flush: false });
  const events = fragmenter.start({ video: videoConfigFrom(hex(AVC_RECORD_640X360)), audio });
  t.same(events.map((e) => e.kind), ['part', 'init']);
  const lastPart = (events[0] as { part: CmafPart }).part;
  t.ok(lastPart.endsSegment, 'the final part ends its segment');
  const init = (events[1] as { init: CmafInit }).init;
  t.match(init, { discontinuity: true, codecs: 'avc1.42c01e,mp4a.40.2' });
  const firstRun = [...partsOf(first), lastPart];
  const lastVideo = samplesOf(firstRun, 1).at(-1)!;
  t.equal(lastVideo.duration, samplesOf(firstRun, 1).at(-2)!.duration, 'the last frame lasts as long as the one before it');

  // The new settings continue the timestamps; the P-frame before the keyframe is dropped.
  const second = partsOf(run(fragmenter, [avc(1000, false), aac(1003), avc(1033, true), aac(1045), avc(1067, false)]));
  const videoSamples = samplesOf(second, 1);
  t.same(videoSamples.map((s) => s.decodeTime), [1033 * 90, 1067 * 90]);
  t.ok(videoSamples[0]!.decodeTime >= lastVideo.decodeTime + lastVideo.duration, 'never before the previous run ended');
  t.ok(second[0]!.independent);
  t.equal(second[0]!.sequenceNumber, lastPart.sequenceNumber + lastPart.chunks.length, 'sequence numbers go on across inits');
});

t.test('flush: the last sample gets the nominal duration', async (t) => {
  t.same(samplesOf(partsOf(run(started({}, { video }), [avc(0, true)])), 1).map((s) => s.duration), [3000], 'a lone frame: 1/30 s');
  t.same(samplesOf(partsOf(run(started({}, { video }), [avc(0, true), avc(40, false)])), 1).map((s) => s.duration), [3600, 3600], 'the previous frame duration');
  t.same(samplesOf(partsOf(run(started({}, { audio }), [aac(0)])), 2).map((s) => s.duration), [1024]);
  t.same(started().flush(), [], 'nothing to flush before the first keyframe');
});

t.test('a segment without a keyframe is cut at the maximum duration; that part is not independent', async (t) => {
  const frames = avFrames(3, { gop: 1000, withAudio: false });
  const parts = partsOf(run(started({ segmentTargetSeconds: 1, maxSegmentSeconds: 2 }, { video }), frames));
  const ends = parts.filter((p) => p.endsSegment);
  t.same(ends.map((p) => Math.round((p.startSeconds + p.durationSeconds) * 1000)), [2000, 3001], 'at the maximum, then at the end: the last frame (2967 ms) plus the one before');
  const afterCut = parts[parts.indexOf(ends[0]!) + 1]!;
  t.same([afterCut.startSeconds, afterCut.independent], [2, false]);
});

t.test('video-only ignores audio; audio-only cuts parts and segments on audio, all independent', async (t) => {
  const videoOnly = partsOf(run(started({}, { video }), avFrames(1)));
  t.ok(videoOnly.every((p) => p.tracks.length === 1 && p.tracks[0]!.trackId === 1));
  const audioOnly = partsOf(run(started({}, { audio }), avFrames(5, { withVideo: false })));
  t.ok(audioOnly.every((p) => p.independent && p.tracks[0]!.trackId === 2));
  t.ok(audioOnly.slice(0, -1).every((p) => p.durationSeconds <= 0.2), 'parts of 9 AAC frames (0.192 s), the boundary nearest 0.2 s');
  const segmentEnds = audioOnly.filter((p) => p.endsSegment).map((p) => p.startSeconds + p.durationSeconds);
  t.ok(segmentEnds.slice(0, -1).every((end, i) => Math.abs(end - 2 * (i + 1)) < 0.011), `segments of 2 s (${segmentEnds})`);
});

t.test('decode times never repeat: a repeated timestamp gets a one-tick duration', async (t) => {
  const samples = samplesOf(partsOf(run(started({}, { video }), [avc(0, true), avc(33, false), avc(33, false), avc(67, false)])), 1);
  t.same(samples.map((s) => s.decodeTime), [0, 2970, 2971, 6030]);
  t.same(samples.map((s) => s.duration), [2970, 1, 3059, 3059]);
  t.ok(samples.every((s) => s.compositionOffset === 0), 'composition offsets as sent');
});

t.test('malformed frames and media piling up are refused with MediaFormatError, leaving the state as it was', async (t) => {
  const fragmenter = started({}, { video });
  const broken = avc(33, false);
  new DataView(broken.data.buffer).setUint32(0, 5000);
  fragmenter.push(avc(0, true));
  t.throws(() => fragmenter.push(broken), MediaFormatError);
  const samples = samplesOf(partsOf(run(fragmenter, [avc(33, false)])), 1);
  t.same(samples.map((s) => s.decodeTime), [0, 2970], 'the broken frame left no trace');

  const stalled = started({ maxPendingBytes: 64 * 1024 });
  stalled.push(avc(0, true));
  t.throws(() => {
    for (let i = 0; i < 10; i++) stalled.push(aac(i * 21, 10_000));
  }, /more than 65536: the video track is not advancing/);
});

t.test('the default LL-HLS part target cuts a 2 s GOP at 30 and 29.97 fps into six parts of ten frames, with no short last part', async (t) => {
  // hls.js counts a segment as buffered once its buffer reaches within 0.2 s of the segment's end,
  // and may then never load a shorter last part: the player stalls over the hole it leaves.
  for (const fps of [30, 30000 / 1001]) {
    const frames: MediaFrame[] = [];
    for (let i = 0; i < 6 * fps; i++) frames.push(avc(Math.round((i * 1000) / fps), i % 60 === 0));
    for (let i = 0; i < (6 * 48000) / 1024; i++) frames.push(aac(Math.round((i * 1024000) / 48000)));
    frames.sort((a, b) => a.dtsMs - b.dtsMs);
    const target = DEFAULT_PART_TARGET_SECONDS;
    const parts = partsOf(run(started({ partTargetSeconds: target, maxPartSeconds: target }), frames, { flush: false }));
    const segmentEnds = parts.flatMap((part, i) => (part.endsSegment ? [i] : []));
    t.same(segmentEnds.slice(0, 2), [5, 11], `${fps.toFixed(2)} fps: six parts a segment`);
    t.ok(parts.every((part) => part.durationSeconds <= target), `${fps.toFixed(2)} fps: every part within PART-TARGET`);
    const shortest = Math.min(...parts.map((part) => part.durationSeconds));
    t.ok(shortest > 0.3, `${fps.toFixed(2)} fps: no part shorter than ten frames (shortest ${shortest.toFixed(3)} s)`);
  }
});

t.test('maxPartSeconds: no part longer than the ceiling, none shorter than the ceiling minus a frame (LL-HLS PART-TARGET)', async (t) => {
  // 0.334 s: the nearest boundary of 48 kHz AAC is 16 frames (0.341 s), past the ceiling.
  const nearest = partsOf(run(started({ partTargetSeconds: 0.334 }, { audio }), avFrames(5, { withVideo: false })));
  t.ok(nearest.some((p) => p.durationSeconds > 0.334), 'without a ceiling the nearest boundary may overrun');
  for (const tracks of [{ audio }, { video, audio }]) {
    const parts = partsOf(run(started({ partTargetSeconds: 0.334, maxPartSeconds: 0.334 }, tracks), avFrames(5, { withVideo: tracks.video !== undefined })));
    const frameSeconds = tracks.video ? 1 / 30 : 1024 / 48000;
    t.ok(parts.every((p) => p.durationSeconds <= 0.334), `${Object.keys(tracks)}: every part within 0.334 s`);
    const firstSegment = parts.slice(0, parts.findIndex((p) => p.endsSegment));
    t.ok(firstSegment.every((p) => p.durationSeconds >= 0.334 - frameSeconds - 0.002), `${Object.keys(tracks)}: and, in the first segment, within a frame of it`);
  }
  t.throws(() => new CmafFragmenter({ maxPartSeconds: 0 }), /maxPartSeconds must be a positive number, got 0/);
});

t.test('maxPartSeconds: after the first segment, its frames are shared evenly among the fewest parts, so no last part is a sliver', async (t) => {
  // [fps, frames per part at most under 0.34 s with 1 ms of jitter, parts per 2 s segment]
  const rates: [number, number, number][] = [[25, 8, 7], [30, 10, 6], [29.97, 10, 6], [50, 16, 7], [60, 20, 6], [24, 8, 6]];
  for (const [fps, framesPerPart, partsPerSegment] of rates) {
    const frames: MediaFrame[] = [];
    const gop = Math.round(2 * fps);
    for (let i = 0; i < 8 * fps; i++) frames.push(avc(Math.round((i * 1000) / fps), i % gop === 0));
    const parts = partsOf(run(started({ partTargetSeconds: 0.34, maxPartSeconds: 0.34 }, { video }), frames, { flush: false }));
    t.ok(parts.every((p) => p.durationSeconds <= 0.34), `${fps} fps: no part past the ceiling`);
    const segments: CmafPart[][] = [[]];
    for (const part of parts) {
      segments.at(-1)!.push(part);
      if (part.endsSegment) segments.push([]);
    }
    const later = segments.slice(1, -1);
    t.ok(later.length >= 2, `${fps} fps: whole segments after the first`);
    for (const segment of later) {
      t.equal(segment.length, partsPerSegment, `${fps} fps: ${partsPerSegment} parts a segment`);
      const even = gop / partsPerSegment;
      t.ok(
        segment.every((p) => Math.abs(p.durationSeconds * fps - even) <= 1.01 && p.durationSeconds * fps <= framesPerPart + 0.05),
        `${fps} fps: each part ${Math.floor(even)} or ${Math.ceil(even)} frames (${segment.map((p) => Math.round(p.durationSeconds * fps)).join(',')})`,
      );
    }
  }
});

t.test('chunkTargetSeconds: a part comes out in chunks as its media completes, the same samples and cuts as without', async (t) => {
  const frames = avFrames(6);
  const whole = run(started({ partTargetSeconds: 0.334, maxPartSeconds: 0.334 }), frames);
  const chunked = run(started({ partTargetSeconds: 0.334, maxPartSeconds: 0.334, chunkTargetSeconds: 0.111 }), frames);
  const wholeParts = partsOf(whole);
  const chunkedParts = partsOf(chunked);
  t.same(
    chunkedParts.map(({ independent, endsSegment, startSeconds, durationSeconds, tracks }) => ({ independent, endsSegment, startSeconds, durationSeconds, tracks })),
    wholeParts.map(({ independent, endsSegment, startSeconds, durationSeconds, tracks }) => ({ independent, endsSegment, startSeconds, durationSeconds, tracks })),
    'the same parts: cuts, durations, per-track sums',
  );
  for (const trackId of [1, 2]) t.same(samplesOf(chunkedParts, trackId), samplesOf(wholeParts, trackId), `track ${trackId}: the same samples`);

  // Every chunks event precedes its part, and the part lists those chunks first, then its last ones.
  let pending: Uint8Array[] = [];
  let sequence = 0;
  for (const event of chunked) {
    if (event.kind === 'chunks') pending.push(...event.chunks.map((chunk) => chunk.data));
    if (event.kind !== 'part') continue;
    const data = event.part.chunks.map((chunk) => chunk.data);
    t.same(data.slice(0, pending.length), pending, 'the chunks that came out first, in order');
    t.equal(event.part.sequenceNumber, sequence + 1, 'mfhd numbers go on from the last chunk');
    sequence += data.length;
    pending = [];
  }
  const perPart = chunkedParts.map((part) => part.chunks.filter((chunk) => chunk.trackId === 1).length);
  t.ok(perPart.filter((n) => n >= 3).length >= chunkedParts.length / 2, `about three video chunks a part (${perPart.join(',')})`);
  t.ok(chunkedParts.every((part) => part.chunks[0]!.trackId === 1), 'each part starts with video: a player can start on its keyframe');
});

t.test('startsSegment: runs start and segments end only at the keyframes it accepts, however long or short (an ABR rendition cut where its source was)', async (t) => {
  // Keyframes every 0.5 s; the source's segments started at 1.0 and 1.5 s, then at 3.0 s.
  const accepted = new Set([1000, 1500, 3000]);
  const asked: number[] = [];
  const fragmenter = started({
    startsSegment: (ptsMs) => {
      asked.push(ptsMs);
      return accepted.has(ptsMs);
    },
  });
  const frames = avFrames(4, { gop: 15 });
  const events: CmafEvent[] = [];
  const openAt: (number | undefined)[] = [];
  for (const frame of frames) {
    events.push(...fragmenter.push(frame));
    if (frame.kind === 'avc-frame' && frame.keyframe) openAt.push(fragmenter.openSegmentPtsMs);
  }
  events.push(...fragmenter.flush());
  t.equal(fragmenter.openSegmentPtsMs, undefined, 'no segment open after the flush');
  t.same(openAt, [undefined, undefined, 1000, 1500, 1500, 1500, 3000, 3000], 'the segment in progress starts at each accepted keyframe');
  t.same(asked.filter((ms) => ms % 500 === 0), [0, 500, 1000, 1500, 2000, 2500, 3000, 3500], 'only keyframes are asked about');
  const segments: number[] = [];
  for (const part of partsOf(events)) {
    if (segments.length === 0) segments.push(part.startSeconds);
    if (part.endsSegment) segments.push(part.startSeconds + part.durationSeconds);
  }
  t.same(segments.slice(0, 3).map((seconds) => Math.round(seconds * 1000)), [1000, 1500, 3000], 'segments 1.0-1.5 s, 1.5-3.0 s, then from 3.0 s');
  t.equal(segments.length, 4, 'the last one to the end of the media');
  t.ok(partsOf(events)[0]!.independent, 'the first part starts with the accepted keyframe');
});

t.test('options are checked', async (t) => {
  t.throws(() => new CmafFragmenter({ partTargetSeconds: 0 }), /partTargetSeconds must be a positive number, got 0/);
  t.throws(() => new CmafFragmenter({ segmentTargetSeconds: 0.1 }), /segmentTargetSeconds must be a number >= partTargetSeconds/);
  t.throws(() => new CmafFragmenter({ maxSegmentSeconds: 1 }), /maxSegmentSeconds must be a number >= segmentTargetSeconds \(2\), got 1/);
  t.throws(() => new CmafFragmenter({ maxPendingBytes: 10 }), /maxPendingBytes must be >= 65536/);
});
