/**
 * The MPEG-TS demuxer against real ffmpeg output: every frame ffprobe reports comes out once as
 * an RTMP-style tag with its timestamps, keyframe flag and composition time; the sequence headers
 * describe the stream; the output decodes; any split of the input gives the same output; a PTS
 * wrap near 2^33 changes nothing; garbage, lost packets, oversized frames and truncation drop
 * what they damage, say so, and never throw.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseAacConfig } from '../../src/media/aac-config.js';
import { parseAvcDecoderConfig } from '../../src/media/avc-decoder-config.js';
import { FLV_TAG_AUDIO, FLV_TAG_VIDEO, parseFlvTag, type FlvTag } from '../../src/media/flv-tag.js';
import { parseSpsPictureSize } from '../../src/media/h264-sps.js';
import { TS_PACKET_SIZE } from '../../src/media/ts-packet.js';
import { TIMELINE_START_MS } from '../../src/mpegts/ts-timeline.js';
import { decodeErrors, demux, encodeTs, FPS, probeTsPackets, shiftTs, tagsOf } from './ts-fixtures.js';

const dir = t.testdir();
const clipFile = encodeTs(dir);
const clip = new Uint8Array(readFileSync(clipFile));
const probed = probeTsPackets(clipFile);
const whole = demux(clip);
const tags = tagsOf(whole);

/** Media frames only (sequence headers left out), parsed back as the packager will. */
function frames(tagList: readonly FlvTag[]) {
  return tagList.flatMap((tag) => {
    const frame = parseFlvTag(tag);
    return frame.kind === 'avc-frame' || frame.kind === 'aac-frame' ? [frame] : [];
  });
}

function summary(tagList: readonly FlvTag[]): string[] {
  return tagList.map((tag) => `${tag.type}@${tag.timestampMs}:${Buffer.from(tag.body).toString('base64')}`);
}

t.test('every frame ffprobe reports comes out once, at its time, with its flags', async (t) => {
  t.same(whole.filter((event) => event.kind !== 'tag'), [{ kind: 'program', videoPid: 0x100, audioPid: 0x101, ignoredStreamTypes: [] }], 'no drop, no resync');
  const video = probed.filter((packet) => packet.codec_type === 'video');
  const audio = probed.filter((packet) => packet.codec_type === 'audio');
  t.equal(video.length, 4 * FPS, 'ffprobe sees 100 pictures');
  const out = frames(tags);
  const outVideo = out.filter((frame) => frame.kind === 'avc-frame');
  const outAudio = out.filter((frame) => frame.kind === 'aac-frame');
  t.equal(outVideo.length, video.length, 'one video tag per picture');
  t.equal(outAudio.length, audio.length, 'one audio tag per ADTS frame');
  // The timeline starts at TIMELINE_START_MS at the first picture's DTS.
  const base = video[0]!.dts;
  const at = (ticks: number) => TIMELINE_START_MS + (ticks - base) / 90;
  t.same(outVideo.map((frame) => frame.dtsMs), video.map((packet) => Math.round(at(packet.dts))), 'video DTS as ffprobe reads them');
  t.same(outVideo.map((frame) => frame.ptsMs), video.map((packet) => Math.round(at(packet.pts))), 'composition time = PTS - DTS');
  t.ok(outVideo.some((frame) => frame.kind === 'avc-frame' && frame.ptsMs !== frame.dtsMs), 'B-frames give composition times');
  t.same(outVideo.map((frame) => frame.kind === 'avc-frame' && frame.keyframe), video.map((packet) => packet.flags.startsWith('K')), 'keyframes where ffprobe sees them');
  const audioOff = outAudio.map((frame, i) => Math.abs(frame.dtsMs - at(audio[i]!.pts)));
  t.ok(Math.max(...audioOff) <= 1, `audio within a millisecond of ffprobe's times (worst ${Math.max(...audioOff)} ms)`);
  t.ok(outVideo.every((frame, i) => i === 0 || frame.dtsMs > outVideo[i - 1]!.dtsMs), 'video DTS increase');
});

t.test('sequence headers come first and describe the stream', async (t) => {
  const firstVideo = parseFlvTag(tags.find((tag) => tag.type === FLV_TAG_VIDEO)!);
  const firstAudio = parseFlvTag(tags.find((tag) => tag.type === FLV_TAG_AUDIO)!);
  if (firstVideo.kind !== 'avc-config' || firstAudio.kind !== 'aac-config') throw new Error('no sequence header first');
  const avc = parseAvcDecoderConfig(firstVideo.data);
  t.same(parseSpsPictureSize(avc.sps[0]!), { width: 320, height: 180 });
  t.equal(avc.nalLengthSize, 4);
  t.equal(avc.profile, 100, 'x264 chose High profile');
  t.same([...firstVideo.data.subarray(-4)], [0xfc | 1, 0xf8, 0xf8, 0], 'with the High-profile fields: 4:2:0, 8 bits, no SPS extension');
  t.match(parseAacConfig(firstAudio.data), { objectType: 2, sampleRate: 44100, channelConfig: 1 });
  t.equal(tags.filter((tag) => parseFlvTag(tag).kind === 'avc-config').length, 1, 'the unchanged SPS/PPS of later keyframes are not sent again');
  t.equal(decodeErrors(dir, tags), '', 'ffmpeg decodes every frame of the output');
});

t.test('chunks split at any boundary give the same output', async (t) => {
  const expected = summary(tags);
  for (const sizes of [[1], [7], [187], [189], [TS_PACKET_SIZE], [1316], [3, 500, 188 * 3 + 1, 64 * 1024]]) {
    t.same(summary(tagsOf(demux(clip, sizes))), expected, `chunks of ${sizes.join(', ')} bytes`);
  }
});

t.test('a PTS wrap past 2^33 keeps the timeline going forward, unchanged', async (t) => {
  // 2^33 ticks are 95443.7 s: ffmpeg writes the clip from 95438.9 s on, so it wraps about 2 s in.
  const wrappedFile = shiftTs(clipFile, join(dir, 'wrapped.ts'), 95_438.9);
  const wrapped = new Uint8Array(readFileSync(wrappedFile));
  // ffprobe corrects the wrap by reading the timestamps before it as negative.
  const wrappedDts = probeTsPackets(wrappedFile).filter((packet) => packet.codec_type === 'video').map((packet) => packet.dts);
  t.ok(wrappedDts.filter((dts) => dts < 0).length > FPS && wrappedDts.filter((dts) => dts >= 0).length > FPS, 'the file wraps mid-clip');
  const events = demux(wrapped, [1316]);
  t.same(events.filter((event) => event.kind === 'dropped' || event.kind === 'resync'), []);
  t.same(summary(tagsOf(events)), summary(tags), 'the same tags as the unwrapped clip');
});

t.test('garbage between packets: resync, say how much was skipped, decode cleanly', async (t) => {
  const garbage = Buffer.from('this is not a transport stream, though it has a G (0x47) in it'.repeat(4));
  const at = [40, 200, 333].map((packet) => packet * TS_PACKET_SIZE);
  const pieces: Uint8Array[] = [];
  let previous = 0;
  for (const offset of at) {
    pieces.push(clip.subarray(previous, offset), garbage);
    previous = offset;
  }
  pieces.push(clip.subarray(previous));
  const events = demux(new Uint8Array(Buffer.concat(pieces)), [1000]);
  const skipped = events.flatMap((event) => (event.kind === 'resync' ? [event.skippedBytes] : []));
  t.equal(skipped.reduce((a, b) => a + b, 0), garbage.length * at.length, 'exactly the garbage is skipped');
  t.same(summary(tagsOf(events)), summary(tags), 'nothing of the stream is lost');
});

t.test('a lost packet drops the frame it belonged to, and video resumes at the next keyframe', async (t) => {
  // The 30th packet of the video PID: inside the first GOP.
  let seen = 0;
  let lost = -1;
  for (let offset = 0; offset < clip.length; offset += TS_PACKET_SIZE) {
    const pid = ((clip[offset + 1]! & 0x1f) << 8) | clip[offset + 2]!;
    if (pid === 0x100 && ++seen === 30) lost = offset;
  }
  const damaged = new Uint8Array(Buffer.concat([clip.subarray(0, lost), clip.subarray(lost + TS_PACKET_SIZE)]));
  const events = demux(damaged, [1316]);
  const dropped = events.filter((event) => event.kind === 'dropped');
  t.equal(dropped.length, 1, 'one frame dropped');
  t.match(dropped[0], { track: 'video', reason: /continuity/ });
  const out = frames(tagsOf(events));
  const video = out.filter((frame) => frame.kind === 'avc-frame');
  const audio = out.filter((frame) => frame.kind === 'aac-frame');
  t.equal(audio.length, frames(tags).filter((frame) => frame.kind === 'aac-frame').length, 'audio is untouched');
  t.ok(video.length < 4 * FPS && video.length >= 3 * FPS, `video skipped to the next keyframe (${video.length} pictures)`);
  const resumed = video.findIndex((frame, i) => i > 0 && frame.dtsMs - video[i - 1]!.dtsMs > 1000 / FPS + 1);
  t.ok(resumed > 0 && video[resumed]!.kind === 'avc-frame' && video[resumed]!.keyframe, 'the first picture after the gap is a keyframe');
  t.equal(decodeErrors(dir, tagsOf(events)), '', 'what comes out decodes without errors');
});

t.test('a frame larger than maxPesBytes is dropped', async (t) => {
  const events = demux(clip, [1316], { maxPesBytes: 2000 });
  const dropped = events.filter((event) => event.kind === 'dropped');
  t.ok(dropped.length > 0 && dropped.every((event) => event.kind === 'dropped' && /larger than 2000 bytes/.test(event.reason)));
  t.ok(tagsOf(events).every((tag) => tag.body.length <= 2000), 'nothing larger comes out');
});

t.test('random bytes, truncation and damage never throw', async (t) => {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const noise = new Uint8Array(256 * 1024).map(() => Math.floor(random() * 256));
  t.same(tagsOf(demux(noise, [1316])), [], 'noise gives no media');
  // Noise with sync bytes every 188: packets that parse, with nonsense inside.
  const fakePackets = noise.slice();
  for (let offset = 0; offset < fakePackets.length; offset += TS_PACKET_SIZE) fakePackets[offset] = 0x47;
  t.doesNotThrow(() => demux(fakePackets, [1316]));
  const truncated = demux(clip.subarray(0, Math.floor(clip.length / 2) + 77));
  t.ok(frames(tagsOf(truncated)).length > 0, 'what came before the cut comes out');
  // Flipped bytes throughout a real stream: PSI, PES headers, ADTS and NAL units all take hits.
  for (let round = 0; round < 20; round += 1) {
    const damaged = clip.slice();
    for (let i = 0; i < 200; i += 1) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
    t.doesNotThrow(() => demux(damaged, [1316]), `damaged copy ${round}`);
  }
});

t.test('an encoder restart with a new picture size: a new sequence header, and the timeline carries on forward', async (t) => {
  const smaller = new Uint8Array(readFileSync(encodeTs(dir, 'smaller.ts', ['-s', '160x90'])));
  const events = demux(new Uint8Array(Buffer.concat([clip, smaller])), [1316]);
  const out = tagsOf(events);
  const configs = out.flatMap((tag) => {
    const frame = parseFlvTag(tag);
    return frame.kind === 'avc-config' ? [parseSpsPictureSize(parseAvcDecoderConfig(frame.data).sps[0]!)] : [];
  });
  t.same(configs, [{ width: 320, height: 180 }, { width: 160, height: 90 }], 'the new SPS is sent as a new sequence header');
  const video = frames(out).filter((frame) => frame.kind === 'avc-frame');
  t.ok(video.every((frame, i) => i === 0 || frame.dtsMs > video[i - 1]!.dtsMs), 'video DTS only increase across the restart');
  const audio = frames(out).filter((frame) => frame.kind === 'aac-frame');
  t.ok(audio.every((frame, i) => i === 0 || frame.dtsMs > audio[i - 1]!.dtsMs), 'audio too');
  const steps = video.slice(1).map((frame, i) => frame.dtsMs - video[i]!.dtsMs);
  // Where the second clip's first picture lands depends on which track arrives first after the splice.
  t.ok(Math.max(...steps) < 250, `no hole at the restart (largest step ${Math.max(...steps)} ms)`);
  t.ok(video.length >= 2 * 4 * FPS - 1, `both clips' pictures come out (${video.length}; the one in progress at the splice may be lost)`);
});
