/**
 * The test patterns that e2e tests publish are cached clips played looped (`-stream_loop -1 -c
 * copy`): real ffmpeg loops them here, without `-re`, and ffprobe reads back what a publisher
 * would send. Each must look like a live encode across the loop: every frame one frame duration
 * after the previous on each track (no jump for the origin to mark with EXT-X-DISCONTINUITY, no
 * audio overlap) and keyframes exactly a GOP apart; the zerolatency pattern has no B-frames.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { ffprobe, type ProbedPacket } from '../test-support/ffmpeg.js';
import { AAC_FRAME_SECONDS, ensureTestPatternClip, loopSeconds, ZEROLATENCY_ENCODING, type TestPatternClip } from '../test-support/test-pattern-publisher.js';
import { ensureWebmClip } from '../test-support/webm-websocket-publisher.js';
import { ABR_PATTERN } from './abr-publisher.js';
import { RECORDED_PATTERN } from './recorded-stream.js';

const execFileAsync = promisify(execFile);
/** ffprobe prints FLV's millisecond timestamps; each step may be off by the rounding. */
const ROUNDING_SECONDS = 0.0015;
const PLAYS = 3;

function steps(packets: ProbedPacket[], time: (packet: ProbedPacket) => string | undefined): number[] {
  const times = packets.map((packet) => Number(time(packet)));
  return times.slice(1).map((value, index) => value - times[index]!);
}

function outside(values: number[], expected: number, tolerance: number): number[] {
  return values.filter((value) => Math.abs(value - expected) > tolerance);
}

/** The clip as a publisher sends it, PLAYS times over (a file in a folder the test removes). */
async function played(t: Test, clip: string, format: string): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'test-pattern-loop-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  const looped = path.join(folder, `looped.${format}`);
  await execFileAsync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-stream_loop', String(PLAYS - 1), '-i', clip, '-c', 'copy', '-f', format, looped]);
  return looped;
}

const PATTERNS: Array<{ name: string; clip: TestPatternClip; bFrames: boolean }> = [
  { name: 'publishTestPattern, mono', clip: { gopSeconds: 2, fps: 30, audioChannels: 1, encoding: ZEROLATENCY_ENCODING }, bFrames: false },
  { name: 'publishTestPattern, stereo', clip: { gopSeconds: 2, fps: 30, audioChannels: 2, encoding: ZEROLATENCY_ENCODING }, bFrames: false },
  { name: 'the recorded pattern', clip: RECORDED_PATTERN, bFrames: true },
  { name: 'the ABR pattern', clip: ABR_PATTERN, bFrames: true },
];

for (const { name, clip: options, bFrames } of PATTERNS) {
  t.test(`${name}, looped ${PLAYS} times: one frame step per track across the loop, keyframes a GOP apart`, async (t) => {
    const probe = await ffprobe(await played(t, await ensureTestPatternClip(options), 'flv'));
    const streams = probe.streams as Array<{ codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string; channels?: number }>;
    const [width, height] = (options.size ?? '640x360').split('x').map(Number);
    t.match(streams.find((stream) => stream.codec_type === 'video'), { codec_name: 'h264', width, height });
    t.match(streams.find((stream) => stream.codec_type === 'audio'), { codec_name: 'aac', sample_rate: '48000', channels: options.audioChannels });

    const seconds = loopSeconds(options.gopSeconds, options.fps);
    const video = probe.packets.filter((packet) => packet.codec_type === 'video');
    const audio = probe.packets.filter((packet) => packet.codec_type === 'audio');
    t.equal(video.length, PLAYS * seconds * options.fps, `${seconds * options.fps} video frames a play`);
    t.equal(audio.length, PLAYS * Math.round(seconds / AAC_FRAME_SECONDS), `${Math.round(seconds / AAC_FRAME_SECONDS)} AAC frames a play`);
    if (!bFrames) t.same(video.filter((packet) => packet.pts_time !== packet.dts_time), [], 'no B-frames: every video frame shows in decoding order');

    t.same(outside(steps(video, (packet) => packet.dts_time), 1 / options.fps, ROUNDING_SECONDS), [], `video: every step one frame (${(1000 / options.fps).toFixed(1)} ms)`);
    t.same(outside(steps(audio, (packet) => packet.dts_time), AAC_FRAME_SECONDS, ROUNDING_SECONDS), [], `audio: every step one AAC frame (${(AAC_FRAME_SECONDS * 1000).toFixed(1)} ms)`);
    const keyframes = video.filter((packet) => packet.flags.startsWith('K'));
    t.equal(keyframes.length, (PLAYS * seconds) / options.gopSeconds, 'one keyframe a GOP');
    t.same(outside(steps(keyframes, (packet) => packet.pts_time), options.gopSeconds, ROUNDING_SECONDS), [], `keyframes ${options.gopSeconds} s apart, across the loop too`);
  });
}

t.test(`the WebM a browser sends, looped ${PLAYS} times: every step one frame (2 ms more across the loop, both tracks alike), a keyframe a second`, async (t) => {
  const probe = await ffprobe(await played(t, await ensureWebmClip(), 'webm'));
  t.same(probe.streams.map((stream) => stream.codec_name).sort(), ['opus', 'vp8']);
  const video = probe.packets.filter((packet) => packet.codec_type === 'video');
  const audio = probe.packets.filter((packet) => packet.codec_type === 'audio');
  t.equal(video.length, PLAYS * 16 * 30, '480 video frames a play');
  // The loop shifts both tracks by the Opus track's length with its encoder delay: 2 ms more.
  const LOOP_SLACK_SECONDS = 0.0025;
  t.same(outside(steps(video, (packet) => packet.pts_time), 1 / 30, LOOP_SLACK_SECONDS), [], 'video: every step one frame (33.3 ms)');
  t.same(outside(steps(audio, (packet) => packet.pts_time), 0.02, LOOP_SLACK_SECONDS), [], 'audio: every step one Opus frame (20 ms)');
  const keyframes = video.filter((packet) => packet.flags.startsWith('K'));
  t.same(outside(steps(keyframes, (packet) => packet.pts_time), 1, LOOP_SLACK_SECONDS), [], 'keyframes 1 s apart, across the loop too');
});
