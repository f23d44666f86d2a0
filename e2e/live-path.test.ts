/**
 * The seed's user flow end to end: real ffmpeg publishes over RTMP, the origin packages HLS,
 * discovery reports it, the API routes it, and a viewer plays it through the edge.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import HLS from 'hls-parser';
import { ffprobe, publishFile, testAsset } from '../test-support/ffmpeg.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';

const SEGMENT_SECONDS = 2;
let platform: Platform;
let scratch: string;

t.before(async () => {
  platform = await startPlatform({ ALLOWED_STREAMS: 'e2e-h264,e2e-bframes,e2e-audio', HLS_SEGMENT_SECONDS: String(SEGMENT_SECONDS) });
  scratch = await mkdtemp(path.join(os.tmpdir(), 'livestack-e2e-'));
});
t.teardown(async () => {
  await platform?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function edgeGet(url: string): Promise<{ status: number; body: Buffer; type: string | null }> {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), type: response.headers.get('content-type') };
}

/** The time the origin logged that the publish started (authorized), from its pino line. */
function publishStartedAt(stream: string): number | undefined {
  for (const line of platform.logs('origin').split('\n')) {
    if (!line.includes('"publish started"') || !line.includes(`"stream":"${stream}"`)) continue;
    return (JSON.parse(line) as { time: number }).time;
  }
  return undefined;
}

interface Played {
  segments: string[];
  playlist: HLS.types.MediaPlaylist;
  /** The first playlist the edge served. */
  firstPlaylist: HLS.types.MediaPlaylist;
  /** The origin logged the start of the publish (ms since the epoch). */
  publishStartedAt: number | undefined;
  /** The edge served its first playlist (ms since the epoch). */
  firstPlaylistAt: number;
}

/** Publishes a clip and plays it through the edge like a player would, collecting every segment. */
async function publishAndPlay(t: Test, clip: string, stream: string): Promise<Played> {
  const playlistUrl = `${platform.edgeUrl}/${stream}/index.m3u8`;
  const publisher = publishFile(testAsset(clip), `${platform.rtmpUrl}/${stream}`);
  t.teardown(() => publisher.stop());
  const firstPlaylist = await waitFor(`the edge to serve ${stream}`, async () => {
    const response = await edgeGet(playlistUrl);
    return response.status === 200 ? { at: Date.now(), response } : undefined;
  }, { timeoutMs: 60_000, intervalMs: 20 });
  const startedAt = publishStartedAt(stream);
  t.ok(startedAt, 'the origin logged the start of the publish');
  t.match(firstPlaylist.response.type, /mpegurl/i, 'playlist content type');

  // Like a player: poll the playlist through the edge, fetch each new segment, stop at ENDLIST
  // (an ended stream stays playable through the edge for its grace period, so no 404 comes first).
  const segments: string[] = [];
  let playlist: HLS.types.MediaPlaylist | undefined;
  const failedPolls: number[] = [];
  await waitFor(`ENDLIST for ${stream} through the edge`, async () => {
    const response = await edgeGet(playlistUrl);
    if (response.status !== 200) {
      failedPolls.push(response.status);
      return false;
    }
    playlist = HLS.parse(response.body.toString()) as HLS.types.MediaPlaylist;
    for (const segment of playlist.segments) {
      if (segments.includes(segment.uri)) continue;
      segments.push(segment.uri);
      const media = await edgeGet(`${platform.edgeUrl}/${stream}/${segment.uri}`);
      t.equal(media.status, 200, `segment ${segment.uri} is served through the edge`);
      await writeFile(path.join(scratch, `${stream}-${segment.uri}`), media.body);
    }
    return playlist.endlist;
  }, { timeoutMs: 120_000, intervalMs: 250 });
  t.same(failedPolls, [], 'every poll through the edge was answered until the end');
  await publisher.exited;
  t.ok(playlist, 'a playlist was read');
  return {
    segments,
    playlist: playlist!,
    firstPlaylist: HLS.parse(firstPlaylist.response.body.toString()) as HLS.types.MediaPlaylist,
    publishStartedAt: startedAt,
    firstPlaylistAt: firstPlaylist.at,
  };
}

function seconds(value: string | undefined): number {
  return Number(value);
}

async function checkSegments(t: Test, stream: string, played: Played, expect: { video: boolean; audio: boolean }) {
  t.ok(played.segments.length >= 2, `several segments (${played.segments.length})`);
  let previousVideoEnd: number | undefined;
  let previousAudioEnd: number | undefined;
  let sawReordered = false;
  for (const uri of played.segments) {
    const probe = await ffprobe(path.join(scratch, `${stream}-${uri}`));
    t.equal(probe.errors, '', `ffprobe reads ${uri} without errors`);
    const codecs = probe.streams.map((s) => s.codec_name).sort();
    t.same(codecs, [...(expect.audio ? ['aac'] : []), ...(expect.video ? ['h264'] : [])], `${uri} holds the expected codecs`);
    const video = probe.packets.filter((p) => p.codec_type === 'video');
    const audio = probe.packets.filter((p) => p.codec_type === 'audio');
    if (expect.video) {
      t.match(video[0]?.flags, /K/, `${uri} starts with a keyframe`);
      const first = seconds(video[0]?.dts_time);
      if (previousVideoEnd !== undefined) {
        t.ok(Math.abs(first - previousVideoEnd) < 0.002, `video continues across segments (${first.toFixed(3)} vs ${previousVideoEnd.toFixed(3)})`);
      }
      const last = video[video.length - 1]!;
      previousVideoEnd = seconds(last.dts_time) + seconds(last.duration_time);
      if (video.some((packet) => packet.pts_time !== packet.dts_time)) sawReordered = true;
      const early = video.filter((packet) => seconds(packet.pts_time) < seconds(packet.dts_time) - 1e-6);
      t.equal(early.length, 0, `no frame of ${uri} is presented before it is decoded`);
    }
    if (expect.audio && audio.length > 0) {
      const first = seconds(audio[0]?.pts_time);
      if (previousAudioEnd !== undefined) {
        t.ok(Math.abs(first - previousAudioEnd) < 0.03, `audio continues across segments (${first.toFixed(3)} vs ${previousAudioEnd.toFixed(3)})`);
      }
      const last = audio[audio.length - 1]!;
      previousAudioEnd = seconds(last.pts_time) + seconds(last.duration_time);
    }
  }
  return { sawReordered };
}

/**
 * After the publisher left, the edge ends up answering 204 No Content: the (open) name is still a
 * stream, with nothing live (seed 004's live input URL). How fast is bench/'s business.
 */
async function checkWithdrawn(t: Test, stream: string) {
  const response = await waitFor(
    `the edge to answer 204 for ${stream}`,
    async () => {
      const answer = await edgeGet(`${platform.edgeUrl}/${stream}/index.m3u8`);
      return answer.status === 204 ? answer : undefined;
    },
    { timeoutMs: 60_000 },
  );
  t.equal(response.body.length, 0, 'the withdrawn stream answers 204 with no body');
}

t.test('H.264 + AAC through origin, discovery, API and edge', async (t) => {
  const played = await publishAndPlay(t, 'h264-aac.flv', 'e2e-h264');
  // Order and content, not speed (bench:origin measures the segment delay).
  t.ok(
    played.publishStartedAt !== undefined && played.publishStartedAt <= played.firstPlaylistAt,
    'the edge served the stream only after the origin started the publish',
  );
  const first = played.firstPlaylist.segments.map((segment) => segment.uri);
  t.ok(first.length >= 1, 'the first playlist through the edge names a segment');
  t.same(
    first,
    played.playlist.segments.slice(0, first.length).map((segment) => segment.uri),
    'the first playlist through the edge starts the stream: the final playlist begins with its segments, in order',
  );
  t.ok(played.playlist.endlist, 'the playlist ends with EXT-X-ENDLIST after unpublish');
  const total = played.playlist.segments.reduce((sum, s) => sum + s.duration, 0);
  t.ok(Math.abs(total - 6) < 0.1, `segment durations add up to the clip (${total.toFixed(3)} s)`);
  await checkSegments(t, 'e2e-h264', played, { video: true, audio: true });
  await checkWithdrawn(t, 'e2e-h264');
});

t.test('H.264 with B-frames keeps composition offsets', async (t) => {
  const played = await publishAndPlay(t, 'h264-bframes-aac.flv', 'e2e-bframes');
  const { sawReordered } = await checkSegments(t, 'e2e-bframes', played, { video: true, audio: true });
  t.ok(sawReordered, 'some frames have pts != dts');
  await checkWithdrawn(t, 'e2e-bframes');
});

t.test('audio-only streams are cut on time', async (t) => {
  const played = await publishAndPlay(t, 'aac-only.flv', 'e2e-audio');
  await checkSegments(t, 'e2e-audio', played, { video: false, audio: true });
  for (const segment of played.playlist.segments.slice(0, -1)) {
    t.ok(Math.abs(segment.duration - SEGMENT_SECONDS) < 0.1, `segment of ${segment.duration.toFixed(3)} s`);
  }
  await checkWithdrawn(t, 'e2e-audio');
});

t.test('an unauthorized publish is refused and writes nothing', async (t) => {
  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/intruder`);
  t.teardown(() => publisher.stop());
  await waitFor('the origin to refuse the publish', () => /publish refused/.test(platform.logs('origin')), { timeoutMs: 60_000 });
  // Had the origin let it through, ffmpeg would have sent the whole clip and exited with 0.
  t.not(await publisher.exited, 0, 'ffmpeg was disconnected before the end of the clip');
  // The refusal is final: a refused publish has nothing left that could write.
  t.notOk((await readdir(platform.hlsPath)).includes('intruder'), 'no HLS folder for it');
  t.equal((await edgeGet(`${platform.edgeUrl}/intruder/index.m3u8`)).status, 404);
});
