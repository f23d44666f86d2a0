/**
 * Compatibility with the seed's origin: nginx-rtmp ingests and packages HLS (`hls_nested on`),
 * asks our API whether a name may publish (`on_publish` → `POST /authorize`), and our discovery,
 * API and edge serve what it writes. Needs nginx and libnginx-mod-rtmp (`npm test` installs them):
 * without them it fails.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import HLS from 'hls-parser';
import { ffprobe, publishFile, testAsset } from '../test-support/ffmpeg.js';
import { startNginxRtmp, type NginxRtmp } from '../test-support/nginx-rtmp.js';
import { waitFor } from '../test-support/wait-for.js';
import { startForeignOriginPlatform, type ForeignOriginPlatform } from './foreign-origin-harness.js';

const ALLOWED = 'nginx-live';
const REFUSED = 'nginx-intruder';
const FRAGMENT_SECONDS = 2;
/** Discovery's default STALE_TARGET_DURATIONS: nginx-rtmp writes no ENDLIST, so staleness ends a stream. */
const STALE_TARGET_DURATIONS = 3;

/** Status codes our API answered to `POST /authorize` (nginx-rtmp's on_publish), from its request log. */
function authorizeAnswers(apiLog: string): number[] {
  const posts = new Set<string>();
  const answers: number[] = [];
  for (const line of apiLog.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { reqId?: string; req?: { method: string; url: string }; res?: { statusCode: number } };
    if (entry.req?.method === 'POST' && entry.req.url === '/authorize' && entry.reqId) posts.add(entry.reqId);
    if (entry.res && entry.reqId && posts.has(entry.reqId)) answers.push(entry.res.statusCode);
  }
  return answers;
}

async function get(url: string): Promise<{ status: number; body: Buffer; type: string | null }> {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), type: response.headers.get('content-type') };
}

t.test('nginx-rtmp as the origin of our platform', async (t) => {
  const hlsPath = await mkdtemp(path.join(os.tmpdir(), 'livestack-nginx-hls-'));
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'livestack-nginx-e2e-'));
  t.teardown(async () => {
    await rm(hlsPath, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });
  const platform: ForeignOriginPlatform<NginxRtmp> = await startForeignOriginPlatform(
    (internal) =>
      startNginxRtmp({ hlsPath, onPublishUrl: `${internal.url}/authorize`, internalToken: internal.token, hlsFragmentSeconds: FRAGMENT_SECONDS }),
    { ALLOWED_STREAMS: ALLOWED, STALE_TARGET_DURATIONS: String(STALE_TARGET_DURATIONS) },
  );
  t.teardown(() => platform.stop());
  const { origin } = platform;
  const edgePlaylist = (stream: string) => `${platform.edgeUrl}/${stream}/index.m3u8`;

  t.test('a name our API refuses is refused by nginx and never reaches the edge', async (t) => {
    const publisher = publishFile(testAsset('h264-aac.flv'), `${origin.rtmpUrl}/${REFUSED}`);
    t.teardown(() => publisher.stop());
    const statuses = new Set<number>();
    const watching = (async () => {
      while (publisher.child.exitCode === null && publisher.child.signalCode === null) {
        statuses.add((await get(edgePlaylist(REFUSED))).status);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await waitFor('our API to answer on_publish', () => authorizeAnswers(platform.logs('api')).length > 0, { timeoutMs: 60_000 });
    t.same(authorizeAnswers(platform.logs('api')), [403], 'our API answered 403');
    // Had nginx let it through, ffmpeg would have sent the whole clip and exited with 0.
    const code = await publisher.exited;
    await watching;
    t.not(code, 0, `nginx disconnected ffmpeg (exit code ${String(code)})`);
    const apiHost = new URL(platform.internalApiUrl).host;
    // At info level nginx-rtmp logs the callback URL, INTERNAL_TOKEN included (README: keep its error_log above info).
    t.match(await origin.errorLog(), `notify: publish '${apiHost}/authorize?internal_token=`, 'nginx called on_publish on our internal listener');
    t.notMatch(platform.logs('api'), platform.internalToken, 'our API never logs the token nginx sent in the URL');
    t.same([...statuses], [404], 'the edge only ever answered 404 for it while it tried');
    // The publish is over and was refused: nothing can write its folder any more.
    t.notOk((await readdir(hlsPath)).includes(REFUSED), 'nginx wrote no HLS folder for it');
  });

  t.test('an allowed name plays through our edge, then is withdrawn once nginx stops writing', async (t) => {
    const publisher = publishFile(testAsset('h264-aac.flv'), `${origin.rtmpUrl}/${ALLOWED}`);
    t.teardown(() => publisher.stop());
    const first = await waitFor(
      `the edge to serve ${ALLOWED}`,
      async () => {
        const response = await get(edgePlaylist(ALLOWED));
        return response.status === 200 ? response : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    t.match(first.type, /mpegurl/i, 'playlist content type');
    t.same(authorizeAnswers(platform.logs('api')), [403, 200], 'nginx asked our API, which answered 200 this time');
    t.equal((await get(edgePlaylist(REFUSED))).status, 404, 'discovery reported this later stream, never the refused one');
    const playlist = HLS.parse(first.body.toString()) as HLS.types.MediaPlaylist;
    const segment = playlist.segments[0];
    t.ok(segment, 'the playlist names a segment');
    const media = await get(`${platform.edgeUrl}/${ALLOWED}/${segment!.uri}`);
    t.equal(media.status, 200, `segment ${segment!.uri} is served through the edge`);
    t.match(media.type, /mp2t/i, 'segment content type');
    const file = path.join(scratch, segment!.uri);
    await writeFile(file, media.body);
    const probe = await ffprobe(file);
    t.equal(probe.errors, '', 'ffprobe reads the segment without errors');
    t.same(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], 'H.264 + AAC');

    const code = await publisher.exited;
    t.equal(code, 0, 'the publisher sent the whole clip');
    const last = await get(edgePlaylist(ALLOWED));
    if (last.status === 200) {
      const final = HLS.parse(last.body.toString()) as HLS.types.MediaPlaylist;
      t.comment(`nginx-rtmp's last playlist: ${final.segments.length} segments, endlist=${final.endlist}`);
    }
    // No ENDLIST from nginx-rtmp: discovery withdraws after STALE_TARGET_DURATIONS unchanged target
    // durations; the edge may answer from its route cache (ROUTE_CACHE_MS) a little longer. The open
    // name is still a stream with nothing live: 204 No Content (seed 004's live input URL).
    await waitFor(`the edge to answer 204 for ${ALLOWED}`, async () => (await get(edgePlaylist(ALLOWED))).status === 204, {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    t.match(platform.logs('discovery'), /"reason":"stale"/, 'discovery withdrew it as stale');
  });
});
