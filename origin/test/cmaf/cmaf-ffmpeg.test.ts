/**
 * Real media through the CMAF fragmenter, read back by ffprobe and ffmpeg (a demuxer and
 * decoders we did not write): the test clips' frames go in, init + parts are written to a file,
 * and every packet must come out with the timestamps and keyframe flags it went in with.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { type CmafEvent, CmafFragmenter, type CmafPart } from '../../src/cmaf/cmaf-fragmenter.js';
import type { CmafTracks } from '../../src/cmaf/cmaf-track.js';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { type AvcFrame, type MediaFrame, parseFlvTag } from '../../src/media/flv-tag.js';
import { RtmpTimeline } from '../../src/media/rtmp-timeline.js';
import { type AudioConfig, audioConfigFrom, type VideoConfig, videoConfigFrom } from '../../src/media/stream-config.js';
import { ffprobe, type ProbedPacket, testAsset } from '../../../test-support/ffmpeg.js';

const execFileAsync = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'cmaf-ffmpeg-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

type Layout = 'audio+video' | 'video' | 'audio';

interface Packaged {
  /** Frames pushed from the first keyframe on (audio-only: all), in arrival order: what must come out. */
  video: AvcFrame[];
  audio: MediaFrame[];
  events: CmafEvent[];
}

/**
 * The FLV's frames on the RTMP timeline into a fragmenter, as the origin will feed it. `restartAtMs`:
 * start() again with the same configuration at the first keyframe from then on, as new encoder
 * settings would.
 */
function packageFlv(asset: string, layout: Layout, restartAtMs = Infinity): Packaged {
  const timeline = new RtmpTimeline();
  // Chunked as the origin's LL-HLS packaging does it (three chunks a part).
  const fragmenter = new CmafFragmenter({ partTargetSeconds: 0.334, maxPartSeconds: 0.334, chunkTargetSeconds: 0.111 });
  const events: CmafEvent[] = [];
  let videoConfig: VideoConfig | undefined;
  let audioConfig: AudioConfig | undefined;
  let tracks: CmafTracks | undefined;
  let restarted = false;
  const pushed: MediaFrame[] = [];
  for (const tag of readFlvTags(readFileSync(testAsset(asset)))) {
    const frame = parseFlvTag(tag, timeline.extend(tag.timestampMs));
    if (frame.kind === 'avc-config' && layout !== 'audio') videoConfig = videoConfigFrom(frame.data);
    if (frame.kind === 'aac-config' && layout !== 'video') audioConfig = audioConfigFrom(frame.data);
    if (frame.kind !== 'avc-frame' && frame.kind !== 'aac-frame') continue;
    if (!tracks) {
      tracks = { video: videoConfig, audio: audioConfig };
      events.push(...fragmenter.start(tracks));
    }
    if (frame.kind === 'avc-frame' && frame.keyframe && frame.dtsMs >= restartAtMs && !restarted) {
      events.push(...fragmenter.start(tracks));
      restarted = true;
    }
    if ((frame.kind === 'avc-frame' && layout === 'audio') || (frame.kind === 'aac-frame' && layout === 'video')) continue;
    pushed.push(frame);
    events.push(...fragmenter.push(frame));
  }
  events.push(...fragmenter.flush());
  const start = layout === 'audio' ? 0 : pushed.findIndex((f) => f.kind === 'avc-frame' && f.keyframe);
  const kept = pushed.slice(start);
  return { video: kept.filter((f): f is AvcFrame => f.kind === 'avc-frame'), audio: kept.filter((f) => f.kind === 'aac-frame'), events };
}

/** The init and parts in order; a new init starts a new file. */
function writeFiles(name: string, events: CmafEvent[]): string[] {
  const files: Uint8Array[][] = [];
  for (const event of events) {
    if (event.kind === 'init') files.push([event.init.data]);
    else if (event.kind === 'part') files[files.length - 1]!.push(...event.part.chunks.map((chunk) => chunk.data));
  }
  return files.map((chunks, i) => {
    const path = join(dir, `${name}-${i}.mp4`);
    writeFileSync(path, Buffer.concat(chunks));
    return path;
  });
}

interface Stream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  time_base: string;
}

type Packet = ProbedPacket & { pts: number; dts: number };

async function probe(file: string): Promise<{ streams: Stream[]; video: Packet[]; audio: Packet[]; errors: string }> {
  const result = await ffprobe(file);
  const packets = result.packets as Packet[];
  return {
    streams: result.streams as unknown as Stream[],
    video: packets.filter((p) => p.codec_type === 'video'),
    audio: packets.filter((p) => p.codec_type === 'audio'),
    errors: result.errors,
  };
}

/** ffmpeg decodes every frame; its error output must stay empty. */
async function decodeErrors(file: string): Promise<string> {
  const { stderr } = await execFileAsync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
  return stderr.trim();
}

function checkVideo(t: Test, packets: Packet[], frames: AvcFrame[]): void {
  t.equal(packets.length, frames.length, `${frames.length} video packets, as many as frames went in`);
  t.same(packets.map((p) => p.dts), frames.map((f) => f.dtsMs * 90), 'DTS: the RTMP timestamps at 90 kHz');
  t.same(packets.map((p) => p.pts), frames.map((f) => f.ptsMs * 90), 'PTS: DTS plus the FLV composition time');
  t.same(packets.map((p) => p.flags.startsWith('K')), frames.map((f) => f.keyframe), 'keyframe flags');
}

function checkAudio(t: Test, packets: Packet[], frames: MediaFrame[], sampleRate: number): void {
  t.equal(packets.length, frames.length, `${frames.length} audio packets, as many as frames went in`);
  const ticksPerMs = sampleRate / 1000;
  const drift = packets.map((p, i) => Math.abs(p.dts - frames[i]!.dtsMs * ticksPerMs));
  t.ok(Math.max(...drift) <= ticksPerMs, `audio DTS within 1 ms of the RTMP timestamps (worst ${Math.max(...drift)} ticks)`);
  const steps = packets.slice(1).map((p, i) => p.dts - packets[i]!.dts);
  t.ok(steps.every((step) => step === 1024), 'audio frames back to back, 1024 samples each');
  t.ok(packets.every((p) => p.pts === p.dts && p.flags.startsWith('K')), 'PTS = DTS, every AAC frame a keyframe');
}

const VIDEO_STREAM = { codec_type: 'video', codec_name: 'h264', width: 640, height: 360, time_base: '1/90000' };
const AUDIO_STREAM = { codec_type: 'audio', codec_name: 'aac', sample_rate: '48000', channels: 2, time_base: '1/48000' };

const CLIPS: { asset: string; layout: Layout; streams: object[]; bFrames?: boolean }[] = [
  { asset: 'h264-aac.flv', layout: 'audio+video', streams: [VIDEO_STREAM, AUDIO_STREAM], bFrames: false },
  { asset: 'h264-bframes-aac.flv', layout: 'audio+video', streams: [VIDEO_STREAM, AUDIO_STREAM], bFrames: true },
  { asset: 'h264-aac.flv', layout: 'video', streams: [VIDEO_STREAM], bFrames: false },
  { asset: 'aac-only.flv', layout: 'audio', streams: [AUDIO_STREAM] },
];

for (const { asset, layout, streams, bFrames } of CLIPS) {
  t.test(`${asset}, ${layout}: every packet as it went in`, async (t) => {
    const packaged = packageFlv(asset, layout);
    const [file] = writeFiles(`${asset}-${layout}`, packaged.events);
    const probed = await probe(file!);
    t.equal(probed.errors, '', 'ffprobe reports no errors');
    t.match(probed.streams, streams);
    t.equal(probed.streams.length, streams.length, 'no other streams');
    if (layout !== 'audio') {
      checkVideo(t, probed.video, packaged.video);
      t.equal(probed.video.some((p) => p.pts !== p.dts), bFrames, bFrames ? 'B-frames reorder' : 'no reordering');
    }
    if (layout !== 'video') checkAudio(t, probed.audio, packaged.audio, 48000);
    t.equal(await decodeErrors(file!), '', 'ffmpeg decodes it without errors');
  });
}

t.test('each segment (init + its parts) starts with a keyframe and decodes on its own', async (t) => {
  const { events } = packageFlv('h264-bframes-aac.flv', 'audio+video');
  const init = events.find((e) => e.kind === 'init')!;
  const segments: CmafPart[][] = [[]];
  for (const event of events) {
    if (event.kind !== 'part') continue;
    segments[segments.length - 1]!.push(event.part);
    if (event.part.endsSegment) segments.push([]);
  }
  segments.pop();
  t.equal(segments.length, 3, '6 s in 2 s segments');
  const files = segments.map((parts, i) => writeFiles(`segment-${i}`, [init, ...parts.map((part): CmafEvent => ({ kind: 'part', part }))])[0]!);
  const probes = await Promise.all(files.map(probe));
  t.same(probes.map((p) => p.video[0]!.flags.startsWith('K')), [true, true, true], 'each starts with a keyframe');
  t.same(await Promise.all(files.map(decodeErrors)), ['', '', ''], 'each decodes without errors');
});

t.test('a new init mid-stream: two files, the second continuing the timeline', async (t) => {
  const packaged = packageFlv('h264-aac.flv', 'audio+video', 3000);
  const inits = packaged.events.filter((e) => e.kind === 'init');
  t.same(inits.map((e) => e.kind === 'init' && e.init.discontinuity), [false, true]);
  const files = writeFiles('restart', packaged.events);
  const [first, second] = await Promise.all(files.map(probe));
  t.same([first!.errors, second!.errors], ['', '']);
  const firstCount = first!.video.length;
  checkVideo(t, first!.video, packaged.video.slice(0, firstCount));
  // The first run's last frame got the duration of the one before (34 ms, against 33 ms of real
  // spacing), and a run never starts before the previous one ended: the new keyframe moves by 1 ms.
  const restart = packaged.video[firstCount]!;
  const lastBefore = first!.video.at(-1)!;
  t.equal(second!.video[0]!.dts, lastBefore.dts + 34 * 90, 'the second run starts where the first ended');
  t.equal(second!.video[0]!.dts - restart.dtsMs * 90, 90, 'a millisecond after its timestamp');
  t.equal(second!.video[0]!.pts, second!.video[0]!.dts, 'with its composition offset as sent');
  checkVideo(t, second!.video.slice(1), packaged.video.slice(firstCount + 1));
  const lastAudio = first!.audio.at(-1)!;
  t.equal(second!.audio[0]!.dts, lastAudio.dts + 1024, 'audio continues across the init');
  t.same(await Promise.all(files.map(decodeErrors)), ['', '']);
});

t.test('per-track files (a track init + that track\'s chunks, as DASH serves them) hold one stream each, every packet as it went in', async (t) => {
  const packaged = packageFlv('h264-bframes-aac.flv', 'audio+video');
  const init = packaged.events.find((e) => e.kind === 'init')!;
  if (init.kind !== 'init') throw new Error('no init');
  const parts = packaged.events.flatMap((e) => (e.kind === 'part' ? [e.part] : []));
  for (const { track, data } of init.init.trackInits) {
    const path = join(dir, `track-${track.kind}.mp4`);
    const chunks = parts.flatMap((part) => part.chunks.filter((chunk) => chunk.trackId === track.id).map((chunk) => chunk.data));
    writeFileSync(path, Buffer.concat([data, ...chunks]));
    const probed = await probe(path);
    t.equal(probed.errors, '', `${track.kind}: ffprobe reports no errors`);
    t.match(probed.streams, [track.kind === 'video' ? VIDEO_STREAM : AUDIO_STREAM]);
    t.equal(probed.streams.length, 1, `${track.kind}: one stream`);
    if (track.kind === 'video') checkVideo(t, probed.video, packaged.video);
    else checkAudio(t, probed.audio, packaged.audio, 48000);
    t.equal(await decodeErrors(path), '', `${track.kind}: ffmpeg decodes it without errors`);
  }
});
