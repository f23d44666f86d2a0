/**
 * Seed 004 through the whole platform: signed playback URLs and allowed origins enforced by the
 * edge on playlists and segments, and live viewer counts across the edge, the API and Redis.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { dashInitFileName, DASH_MANIFEST_FILE_NAME } from '../llhls-contract/src/dash-names.js';
import { LOW_LATENCY_PLAYLIST_FILE_NAME, partFileName } from '../llhls-contract/src/llhls-names.js';
import { signPlaybackToken } from '../playback-token/src/playback-token.js';
import { publishFile, testAsset } from '../test-support/ffmpeg.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const SIGNING_KEY = 'e2e-playback-signing-key-0123456789abcdef';
const VIEWER_IDLE_SECONDS = 5;
const execFileAsync = promisify(execFile);

let platform: Platform;

t.before(async () => {
  platform = await startPlatform({
    ADMIN_TOKEN,
    ALLOWED_STREAMS: '',
    PLAYBACK_SIGNING_KEY: SIGNING_KEY,
    VIEWER_IDLE_SECONDS: String(VIEWER_IDLE_SECONDS),
  });
});
t.teardown(() => platform?.stop());

const api = (method: string, apiPath: string, body?: object) => v1Request(platform.apiUrl, ADMIN_TOKEN, method, apiPath, body);

async function edge(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${platform.edgeUrl}${path}`, { headers });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, text: body.toString(), bytes: body.length };
}

/** Creates a stream with `settings` and publishes to it until the test ends. */
async function liveStream(t: Test, settings: object): Promise<string> {
  const stream = (await api('POST', '/v1/streams', { name: 'access', ...settings })).json;
  const keys = (await api('GET', `/v1/streams/${stream.id}/stream-keys`)).json;
  const key = keys.data.find((k: { protocol: string }) => k.protocol === 'rtmp').stream_key as string;
  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${key}`, { loops: -1 });
  t.teardown(() => publisher.stop());
  await waitFor('the stream on the origin', async () => (await fetch(`${platform.originUrl}/${stream.id}/index.m3u8`)).status === 200, {
    timeoutMs: 60_000,
  });
  return stream.id as string;
}

const segmentsOf = (playlist: string) => playlist.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

t.test('signed URLs: the token opens the playlist and the segments it names; nothing else does', async (t) => {
  const id = await liveStream(t, { require_signed_urls: true });
  const issued = await api('POST', `/v1/streams/${id}/playback-token`, { expires_in_s: 600 });
  t.equal(issued.status, 201);
  const { token, playback_url: playbackUrl } = issued.json as { token: string; playback_url: string };
  t.equal(new URL(playbackUrl).searchParams.get('token'), token, 'the playback URL carries the token');

  const withToken = await waitFor('the signed playlist through the edge', async () => {
    const answer = await edge(`/${id}/index.m3u8?token=${token}`);
    return answer.status === 200 && segmentsOf(answer.text).length > 0 ? answer : undefined;
  }, { timeoutMs: 60_000 });
  const segments = segmentsOf(withToken.text);
  t.ok(segments.every((uri) => uri.endsWith(`?token=${encodeURIComponent(token)}`)), 'every segment URI carries the token');
  const segment = await edge(`/${id}/${segments[0]}`);
  t.equal(segment.status, 200, 'a segment with the token plays');
  t.ok(segment.bytes > 1000);
  const bareSegment = segments[0]!.split('?')[0]!;

  const refusals: [string, string, number, string][] = [
    ['no token, playlist', `/${id}/index.m3u8`, 401, 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED'],
    ['no token, segment', `/${id}/${bareSegment}`, 401, 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED'],
  ];
  // Every other way the edge serves a stream asks for the token too, before it looks for the file.
  for (const file of [LOW_LATENCY_PLAYLIST_FILE_NAME, partFileName(1, 0), DASH_MANIFEST_FILE_NAME, dashInitFileName('video', 0), 'source.m3u8', '720p.m3u8', 'thumbnails/thumbnail.jpg?time=1']) {
    refusals.push([`no token, ${file}`, `/${id}/${file}`, 401, 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED']);
  }
  const expired = signPlaybackToken({ streamId: id, issuedAtMs: Date.now() - 120_000, expiresAtMs: Date.now() - 60_000 }, SIGNING_KEY);
  refusals.push(['expired', `/${id}/index.m3u8?token=${expired}`, 401, 'LIVE_ERR_PLAYBACK_TOKEN_EXPIRED']);
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
  const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, exp: Number(claims.exp) + 86_400 })).toString('base64url')}.${signature}`;
  refusals.push(['tampered', `/${id}/${bareSegment}?token=${tampered}`, 401, 'LIVE_ERR_PLAYBACK_TOKEN_INVALID']);
  const other = (await api('POST', '/v1/streams', { name: 'other', require_signed_urls: true })).json.id as string;
  const foreign = (await api('POST', `/v1/streams/${other}/playback-token`, { expires_in_s: 600 })).json.token as string;
  refusals.push(['another stream', `/${id}/index.m3u8?token=${foreign}`, 403, 'LIVE_ERR_PLAYBACK_TOKEN_WRONG_STREAM']);
  for (const [label, path, status, code] of refusals) {
    const answer = await edge(path);
    t.equal(answer.status, status, `${label}: ${status}`);
    t.equal(JSON.parse(answer.text).error.code, code, `${label}: ${code}`);
  }
  t.notMatch(platform.logs('edge') + platform.logs('api'), token, 'the token never reaches the logs');
});

t.test('signed URLs and DASH: the token is carried into index.mpd\'s templates, and ffmpeg plays it through the edge', async (t) => {
  const id = await liveStream(t, { require_signed_urls: true });
  const { token } = (await api('POST', `/v1/streams/${id}/playback-token`, { expires_in_s: 600 })).json as { token: string };
  const manifest = await waitFor('the signed manifest through the edge', async () => {
    const answer = await edge(`/${id}/index.mpd?token=${token}`);
    return answer.status === 200 && answer.text.includes('<S ') ? answer.text : undefined;
  }, { timeoutMs: 60_000 });
  const templates = [...manifest.matchAll(/\s(?:initialization|media)="([^"]*)"/g)].map(([, uri]) => uri!);
  t.ok(templates.length >= 4 && templates.every((uri) => uri.endsWith(`?token=${encodeURIComponent(token)}`)), 'every initialization and media template carries the token');
  const bare = await edge(`/${id}/index.mpd`);
  t.equal(bare.status, 401);
  t.match(JSON.parse(bare.text), { error: { code: 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED' } });
  const init = templates[0]!.split('?')[0]!;
  t.equal((await edge(`/${id}/${init}`)).status, 401, 'an init without the token is refused');
  t.equal((await edge(`/${id}/${templates[0]}`)).status, 200, 'with it, it plays');

  const { stdout, stderr } = await execFileAsync(
    'ffmpeg',
    ['-v', 'error', '-i', `${platform.edgeUrl}/${id}/index.mpd?token=${token}`, '-t', '2', '-f', 'framecrc', '-'],
    { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  t.equal(stderr.trim(), '', 'ffmpeg reads the signed manifest and its segments without errors');
  t.ok(stdout.split('\n').filter((line) => /^\d+,/.test(line)).length > 50, 'and decodes frames');
  t.notMatch(platform.logs('edge') + platform.logs('api'), token, 'the token never reaches the logs');
});

t.test('allowed origins: a matching page plays with CORS for it, another page is refused', async (t) => {
  const id = await liveStream(t, { allowed_origins: ['*.example.com'] });
  const allowed = await waitFor('the playlist for an allowed page', async () => {
    const answer = await edge(`/${id}/index.m3u8`, { origin: 'https://app.example.com' });
    return answer.status === 200 ? answer : undefined;
  }, { timeoutMs: 60_000 });
  t.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
  t.match(allowed.headers.get('vary') ?? '', /origin/i);
  const segment = await edge(`/${id}/${segmentsOf(allowed.text)[0]}`, { referer: 'https://www.example.com/watch' });
  t.equal(segment.status, 200, 'a segment requested from an allowed page (Referer) plays');

  for (const [label, headers] of [
    ['another site', { origin: 'https://evil.test' }],
    ['the bare domain (not a subdomain)', { origin: 'https://example.com' }],
    ['no page at all', {}],
  ] as const) {
    const answer = await edge(`/${id}/index.m3u8`, headers);
    t.equal(answer.status, 403, `${label}: 403`);
    t.equal(JSON.parse(answer.text).error.code, 'LIVE_ERR_ORIGIN_NOT_ALLOWED');
  }
});

t.test('three viewers count as three live viewers, on the API and the public edge; zero once they stop', async (t) => {
  const id = await liveStream(t, {});
  let watching = true;
  const players = ['Safari', 'Chrome', 'Firefox'].map(async (agent) => {
    let requests = 0;
    while (watching && requests < 600) {
      const playlist = await edge(`/${id}/index.m3u8`, { 'user-agent': agent });
      const last = segmentsOf(playlist.text).at(-1);
      if (playlist.status === 200 && last) await edge(`/${id}/${last}`, { 'user-agent': agent });
      requests += 1;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });
  t.teardown(() => {
    watching = false;
  });

  const counted = await waitFor('three live viewers', async () => {
    const answer = await api('GET', `/v1/streams/${id}/views`);
    return answer.json?.liveViewers === 3 ? answer.json : undefined;
  }, { timeoutMs: 60_000 });
  t.match(counted, { liveViewers: 3, views: 3 }, 'three sessions started');
  const publicCount = await waitFor('the public count', async () => {
    const answer = await edge(`/${id}/views`);
    return answer.status === 200 && JSON.parse(answer.text).liveViewers === 3 ? answer : undefined;
  });
  t.equal(publicCount.headers.get('access-control-allow-origin'), '*', 'any page may show the count');

  const watched = await waitFor('time viewed to add up', async () => {
    const answer = await api('GET', `/v1/streams/${id}/views`);
    return answer.json?.time_viewed_s >= 3 ? answer.json : undefined;
  }, { timeoutMs: 60_000 });
  t.comment(`time viewed while watching: ${watched.time_viewed_s} s`);

  watching = false;
  await Promise.all(players);
  const after = await waitFor('the viewers to be gone', async () => {
    const answer = await api('GET', `/v1/streams/${id}/views`);
    return answer.json?.liveViewers === 0 ? answer.json : undefined;
  }, { timeoutMs: 60_000 });
  t.equal(after.views, 3, 'the total keeps the three views');
  t.ok(after.time_viewed_s >= watched.time_viewed_s, `time viewed is kept (${after.time_viewed_s} s)`);
  t.match(await edge('/not-a-stream/views'), { status: 200, text: '{"liveViewers":0}' }, 'an unknown stream has no viewers');
});
