/**
 * Real media end to end: ffmpeg encodes short FLV clips, the segmenter cuts them, and ffprobe
 * (a decoder we did not write) reads every segment back.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { HlsSegmenter, type Segment, type SegmenterEvent } from '../../src/media/segmenter.js';

const dir = mkdtempSync(join(tmpdir(), 'segmenter-ffmpeg-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const VIDEO_SOURCE = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30'];
const audioSource = (rate: number) => ['-f', 'lavfi', '-i', `sine=frequency=1000:sample_rate=${rate}`];

function run(command: string, args: string[]): { stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

function encode(name: string, args: string[]): string {
  const file = join(dir, `${name}.flv`);
  run('ffmpeg', ['-v', 'error', '-y', ...args, '-t', '5', '-f', 'flv', file]);
  return file;
}

function segment(file: string): { events: SegmenterEvent[]; segments: Segment[]; files: string[] } {
  const segmenter = new HlsSegmenter({ targetDurationSeconds: 2 });
  const events: SegmenterEvent[] = [];
  for (const tag of readFlvTags(readFileSync(file))) events.push(...segmenter.push(tag));
  events.push(...segmenter.flush());
  const segments = events.flatMap((e) => (e.kind === 'segment' ? [e.segment] : []));
  const files = segments.map((s, i) => {
    const path = `${file}.${i}.ts`;
    writeFileSync(path, Buffer.concat(s.chunks));
    return path;
  });
  return { events, segments, files };
}

interface ProbePacket {
  codec_type: 'video' | 'audio';
  pts: number;
  dts: number;
  flags: string;
}

/** ffprobe's view of a segment; its stderr must be empty. */
function probe(file: string): { codecs: string[]; video: ProbePacket[]; audio: ProbePacket[]; errors: string } {
  const { stdout, stderr } = run('ffprobe', ['-v', 'error', '-show_packets', '-show_streams', '-of', 'json', file]);
  const parsed = JSON.parse(stdout) as { streams: { codec_name: string }[]; packets: ProbePacket[] };
  return {
    codecs: parsed.streams.map((s) => s.codec_name).sort(),
    video: parsed.packets.filter((p) => p.codec_type === 'video'),
    audio: parsed.packets.filter((p) => p.codec_type === 'audio'),
    errors: stderr,
  };
}

/**
 * The clip's length as frames x frame duration of one track, counted by ffprobe in the FLV.
 * (ffprobe's format duration is no reference: it adds the B-frame composition delay.)
 */
function clipDuration(file: string, track: 'video' | 'audio', frameSeconds: number): number {
  const args = ['-v', 'error', '-count_packets', '-select_streams', track[0]!, '-show_entries', 'stream=nb_read_packets'];
  return Number(run('ffprobe', [...args, '-of', 'csv=p=0', file]).stdout) * frameSeconds;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * A test of a 30 fps clip with audio at `audioRate`. `checkVideo` gets every video packet for
 * checks specific to the clip.
 */
function videoClipTest(
  name: string,
  args: string[],
  audioRate: number,
  expectedSegments: number,
  checkVideo: (video: ProbePacket[]) => [boolean, string][],
): void {
  t.test(name, async (t) => {
    const frameTicks = 3000;
    const audioFrameTicks = (1024 * 90_000) / audioRate;
    const flv = encode(name.replace(/\W+/g, '-'), [...VIDEO_SOURCE, ...audioSource(audioRate), ...args]);
    const { segments, files } = segment(flv);
    t.equal(segments.length, expectedSegments, 'segment count');
    const probes = files.map(probe);
    t.same(probes.map((p) => p.errors), files.map(() => ''), 'ffprobe reports no errors');
    t.same(probes.map((p) => p.codecs), files.map(() => ['aac', 'h264']));
    t.ok(probes.every((p) => p.video[0]!.flags.startsWith('K')), 'each segment starts with a keyframe');
    probes.forEach((p, i) => {
      const dts = p.video.map((packet) => packet.dts);
      const measured = (Math.max(...dts) - Math.min(...dts) + frameTicks) / 90_000;
      t.ok(Math.abs(measured - segments[i]!.durationSeconds) < frameTicks / 90_000, `segment ${i} duration ${segments[i]!.durationSeconds} matches its frames (${measured})`);
      if (i < expectedSegments - 1) t.ok(segments[i]!.durationSeconds >= 2, 'long enough');
    });
    for (let i = 1; i < probes.length; i++) {
      const previous = probes[i - 1]!;
      const next = probes[i]!;
      const gap = next.video[0]!.dts - previous.video[previous.video.length - 1]!.dts;
      t.ok(Math.abs(gap - frameTicks) <= frameTicks / 2, `video DTS continues into segment ${i} (step ${gap})`);
      const lastAudio = previous.audio[previous.audio.length - 1]!;
      const audioGap = next.audio[0]!.pts - lastAudio.pts;
      t.ok(Math.abs(audioGap - audioFrameTicks) <= audioFrameTicks / 2, `audio PTS continues into segment ${i} (step ${audioGap})`);
    }
    const total = sum(segments.map((s) => s.durationSeconds));
    const clip = clipDuration(flv, 'video', frameTicks / 90_000);
    t.ok(Math.abs(total - clip) <= frameTicks / 90_000, `durations add up to the clip (${total} s, ${clip} s)`);
    const concatenated = run('ffmpeg', ['-v', 'error', '-i', `concat:${files.join('|')}`, '-f', 'null', '-']);
    t.equal(concatenated.stderr, '', 'the segments decode back to back without errors');
    for (const [ok, message] of checkVideo(probes.flatMap((p) => p.video))) t.ok(ok, message);
  });
}

videoClipTest(
  'H.264 without B-frames + AAC 48 kHz, 1 s GOP',
  ['-c:v', 'libx264', '-profile:v', 'baseline', '-g', '30', '-c:a', 'aac'],
  48000,
  3,
  (video) => [[video.every((p) => p.pts === p.dts), 'no reordering']],
);

videoClipTest(
  'H.264 High with B-pyramid + AAC 44.1 kHz, 2 s GOP',
  ['-c:v', 'libx264', '-profile:v', 'high', '-g', '60', '-bf', '2', '-x264-params', 'b-pyramid=normal', '-c:a', 'aac'],
  44100,
  3,
  (video) => [
    [video.some((p) => p.pts !== p.dts), 'B-frames: some PTS differ from DTS'],
    [video.every((p) => p.pts >= p.dts), 'PTS never before DTS'],
  ],
);

t.test('AAC only, cut on time', async (t) => {
  const flv = encode('audio', [...audioSource(44100), '-c:a', 'aac']);
  const { events, segments, files } = segment(flv);
  t.match(events[0], { kind: 'tracks', tracks: { audio: { codec: 'mp4a.40.2', sampleRate: 44100 } } });
  t.equal(segments.length, 3);
  const probes = files.map(probe);
  t.same(probes.map((p) => p.errors), files.map(() => ''), 'ffprobe reports no errors');
  t.same(probes.map((p) => p.codecs), files.map(() => ['aac']));
  const frameTicks = (1024 * 90_000) / 44_100;
  for (let i = 1; i < probes.length; i++) {
    const previous = probes[i - 1]!.audio;
    const gap = probes[i]!.audio[0]!.pts - previous[previous.length - 1]!.pts;
    t.ok(Math.abs(gap - frameTicks) <= frameTicks / 2, `audio PTS continues into segment ${i} (step ${gap})`);
  }
  const total = sum(segments.map((s) => s.durationSeconds));
  const clip = clipDuration(flv, 'audio', 1024 / 44_100);
  t.ok(Math.abs(total - clip) <= 1024 / 44_100, `durations add up to the clip (${total} s, ${clip} s)`);
});

t.test('MP3 audio is rejected with a reason', async (t) => {
  const flv = encode('mp3', [...VIDEO_SOURCE, ...audioSource(44100), '-c:v', 'libx264', '-c:a', 'libmp3lame']);
  const { events, segments } = segment(flv);
  t.match(events, [{ kind: 'rejected', reason: 'audio codec mp3 is not supported: HLS packaging takes H.264 video and AAC audio' }]);
  t.equal(segments.length, 0);
});
