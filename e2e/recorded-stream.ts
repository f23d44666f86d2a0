/** Streams to record in e2e tests: a user's managed stream, and a test pattern published to it at a set bitrate. */
import { publishWithFfmpeg } from '../test-support/ffmpeg.js';
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

/** A 640x360 25 fps test pattern with a tone, keyframes every 2 s, at a set bitrate; `seconds` long, or until stopped. */
export function publishTestPattern(url: string, seconds?: number) {
  return publishWithFfmpeg(
    [
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      ...(seconds ? ['-t', String(seconds)] : []),
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0',
      '-b:v', `${VIDEO_KBPS}k`, '-maxrate', `${VIDEO_KBPS}k`, '-bufsize', `${2 * VIDEO_KBPS}k`,
      '-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2',
    ],
    url,
  );
}
