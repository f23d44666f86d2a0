/**
 * A publisher that sends one keyframe and then only P-frames (x264 with a keyframe interval far
 * beyond the cap, no scene-cut keyframes) through a real origin: segments are cut at
 * HLS_MAX_SEGMENT_SECONDS anyway and TARGETDURATION stays at that cap.
 */
import HLS from 'hls-parser';
import t from 'tap';
import { ffprobe, publishWithFfmpeg } from '../test-support/ffmpeg.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';

const SEGMENT_SECONDS = 1;
const MAX_SEGMENT_SECONDS = 3;
const STREAM = 'e2e-no-keyframes';

let platform: Platform;
t.before(async () => {
  platform = await startPlatform({
    ALLOWED_STREAMS: STREAM,
    HLS_SEGMENT_SECONDS: String(SEGMENT_SECONDS),
    HLS_MAX_SEGMENT_SECONDS: String(MAX_SEGMENT_SECONDS),
  });
});
t.teardown(() => platform?.stop());

t.test('one keyframe, then only P-frames: segments are cut at the maximum duration', async (t) => {
  const publisher = publishWithFfmpeg(
    [
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30',
      '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
      '-g', '100000', '-x264-params', 'keyint=100000:min-keyint=100000:scenecut=0',
      '-c:a', 'aac', '-b:a', '64k',
    ],
    `${platform.rtmpUrl}/${STREAM}`,
  );
  t.teardown(() => publisher.stop());

  const playlistUrl = `${platform.originUrl}/${STREAM}/index.m3u8`;
  const playlist = await waitFor('four segments in the playlist', async () => {
    const response = await fetch(playlistUrl);
    if (response.status !== 200) return undefined;
    const parsed = HLS.parse(await response.text()) as HLS.types.MediaPlaylist;
    return parsed.segments.length >= 4 ? parsed : undefined;
  }, { timeoutMs: 120_000, intervalMs: 250 });

  t.equal(playlist.targetDuration, MAX_SEGMENT_SECONDS, 'TARGETDURATION is the maximum, not the growing GOP');
  for (const segment of playlist.segments) {
    t.ok(segment.duration >= MAX_SEGMENT_SECONDS && segment.duration < MAX_SEGMENT_SECONDS + 0.1, `${segment.uri} lasts ${segment.duration} s: cut at the maximum`);
  }

  const packets = await Promise.all(playlist.segments.map(async (segment) => {
    const probed = await ffprobe(`${platform.originUrl}/${STREAM}/${segment.uri}`);
    return probed.packets.filter((packet) => packet.codec_type === 'video');
  }));
  t.match(packets[0]![0]!.flags, /K/, 'the first segment starts with the only keyframe');
  for (const [index, video] of packets.entries()) {
    t.ok(video.length > 60, `segment ${index} holds ${video.length} video frames`);
    if (index > 0) t.notOk(video.some((packet) => packet.flags.includes('K')), `segment ${index} has no keyframe: it was cut without one`);
  }
  t.equal(publisher.child.exitCode, null, 'the publisher is still streaming');
});
