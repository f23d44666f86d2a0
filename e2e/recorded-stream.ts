/** Streams to record in e2e tests: a user's managed stream, and a test pattern published to it at a set bitrate. */
import { publishFile, type Publisher } from '../test-support/ffmpeg.js';
import { ensureTestPatternClip, type TestPatternClip } from '../test-support/test-pattern-publisher.js';
import type { Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

/** What the encoder is asked for: the figure a recording's size is compared with. */
export const VIDEO_KBPS = 1000;
export const AUDIO_KBPS = 128;

/** A new user's new stream (with `settings`, e.g. recording or require_signed_urls), the user's token and its RTMP publish URL. */
export async function newStream(
  platform: Platform,
  adminToken: string,
  name: string,
  settings: object = {},
): Promise<{ id: string; token: string; publishUrl: string }> {
  const api = (token: string, method: string, url: string, body?: object) => v1Request(platform.apiUrl, token, method, url, body);
  const user = await api(adminToken, 'POST', '/v1/users', { name });
  const token = (await api(adminToken, 'POST', `/v1/users/${user.json.id}/tokens`, { name: 'e2e' })).json.token as string;
  const stream = (await api(token, 'POST', '/v1/streams', { name, ...settings })).json;
  const keys = (await api(token, 'GET', `/v1/streams/${stream.id}/stream-keys`)).json.data as { protocol: string; stream_key: string }[];
  return { id: stream.id, token, publishUrl: `${platform.rtmpUrl}/${keys.find((key) => key.protocol === 'rtmp')!.stream_key}` };
}

/**
 * The pattern as a broadcast encoder sends it: 640x360 25 fps, a tone in stereo, keyframes every
 * 2 s, x264 veryfast (B-frames) held to the set bitrate. Encoded once and played looped (see
 * test-support/test-pattern-publisher.ts).
 */
export const RECORDED_PATTERN: TestPatternClip = {
  gopSeconds: 2,
  fps: 25,
  audioChannels: 2,
  encoding: ['-preset', 'veryfast', '-b:v', `${VIDEO_KBPS}k`, '-maxrate', `${VIDEO_KBPS}k`, '-bufsize', `${2 * VIDEO_KBPS}k`, '-b:a', `${AUDIO_KBPS}k`],
};

/** The recorded pattern in real time, `seconds` long, or until stopped. */
export async function publishTestPattern(url: string, seconds?: number): Promise<Publisher> {
  return publishFile(await ensureTestPatternClip(RECORDED_PATTERN), url, { loops: -1, seconds });
}
