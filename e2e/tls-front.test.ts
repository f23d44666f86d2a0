/**
 * TLS at the front (issue 16), one platform serving every assertion: HAProxy terminates RTMPS and
 * HTTPS as `npm start` runs it (deploy/haproxy/tls-single-host.cfg, a self-signed certificate made
 * by scripts/make-tls-cert.sh). The ingest list and the playback URL are the TLS forms; real ffmpeg
 * publishes OBS-style to rtmps:// verifying the certificate against it as a CA; curl plays the
 * stream through HTTPS with the CA trusted (Strict-Transport-Security, no Server banner); hls.js in
 * headless Chromium plays the same https:// URL with the certificate trusted by its key pin (and
 * cannot without it). The origin behind is private (ORIGIN_SECRET): a
 * direct request without the edges' secret is refused, the edge (which sends it) plays. Then the
 * stream requires signed URLs mid-rotation of the signing key: tokens of the old key (the API's)
 * and of the new one play through HTTPS, others and none are refused, hls.js plays the signed URL.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { WebSocket } from 'ws';
import { launchChromium } from '../test-support/chromium.js';
import { ffprobe, publishWithFfmpeg, testAsset } from '../test-support/ffmpeg.js';
import { freePort } from '../test-support/free-port.js';
import { signPlaybackToken } from '../playback-token/src/playback-token.js';
import { openHlsPlayer } from '../test-support/hls-player.js';
import { curlTrusting, spkiPin, startTlsFront } from '../test-support/tls-front.js';
import { waitFor } from '../test-support/wait-for.js';
import { publishWebmOverWebSocket } from '../test-support/webm-websocket-publisher.js';
import { startPlatform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const execFileAsync = promisify(execFile);
const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const ORIGIN_SECRET = 'e2e-edge-to-origin-secret-0123456789';
const OLD_SIGNING_KEY = 'e2e-playback-signing-key-before-rotation-0123';
const NEW_SIGNING_KEY = 'e2e-playback-signing-key-after-rotation-01234';
const WAIT = { timeoutMs: 60_000, intervalMs: 250 };

t.test('RTMPS ingest and HTTPS playback through HAProxy with a self-signed certificate', async (t) => {
  const [rtmpsPort, httpsPort] = await Promise.all([freePort(), freePort()]);
  const platform = await startPlatform({
    ADMIN_TOKEN,
    PUBLIC_PLAYBACK_URL: `https://localhost:${httpsPort}`,
    INGEST_RTMP_URL: `rtmps://localhost:${rtmpsPort}/stream/{stream_key}`,
    INGEST_WEBSOCKET_URL: `wss://localhost:${httpsPort}/ingest/ws?stream_key={stream_key}`,
    // Edges send it, the origin serves only requests carrying it.
    ORIGIN_SECRET,
  }, {
    // Mid-rotation of the playback signing key: the API still signs with the old key, the edge
    // already has the new one and accepts the old one as the previous.
    api: { PLAYBACK_SIGNING_KEY: OLD_SIGNING_KEY },
    edge: { PLAYBACK_SIGNING_KEY: NEW_SIGNING_KEY, PLAYBACK_SIGNING_KEY_PREVIOUS: OLD_SIGNING_KEY },
  });
  t.teardown(() => platform.stop());
  const front = await startTlsFront({
    rtmpPort: Number(new URL(platform.rtmpUrl).port),
    originHttpPort: Number(new URL(platform.originUrl).port),
    edgePort: Number(new URL(platform.edgeUrl).port),
    rtmpsPort,
    httpsPort,
  });
  t.teardown(() => front.stop());
  const api = (method: string, apiPath: string, body?: object) => v1Request(platform.apiUrl, ADMIN_TOKEN, method, apiPath, body);

  const stream = (await api('POST', '/v1/streams', { name: 'TLS' })).json;
  const key = (await api('GET', `/v1/streams/${stream.id}/stream-keys`)).json.data.find((k: { protocol: string }) => k.protocol === 'rtmp').stream_key as string;
  const ingest = await waitFor('the origin in the ingest list', async () => (await api('GET', '/v1/ingests?protocol=rtmp')).json.ingests[0], WAIT);
  t.equal(ingest.url_template, `rtmps://localhost:${rtmpsPort}/stream/{stream_key}`, 'the ingest list gives the RTMPS URL');
  const hlsUrl = (await api('GET', `/v1/streams/${stream.id}/playlists`)).json.playlists.find((p: { protocol: string }) => p.protocol === 'hls').url as string;
  t.equal(hlsUrl, `https://localhost:${httpsPort}/${stream.id}/index.m3u8`, 'the playback URL is HTTPS');

  // OBS-style: the server URL from the ingest list, the key after it; ffmpeg checks the
  // certificate (tls_verify) against the self-signed one as its CA.
  const publishUrl = ingest.url_template.replace('{stream_key}', key);
  const tlsOptions = ['-tls_verify', '1', '-ca_file', front.certPem];
  const publisher = publishWithFfmpeg(['-stream_loop', '-1', '-i', testAsset('h264-aac.flv'), '-c', 'copy', ...tlsOptions], publishUrl);
  t.teardown(() => publisher.stop());

  const playlist = await waitFor('the stream to play through HTTPS', async () => {
    const text = await curlTrusting(front.certPem, ['-f', hlsUrl]).catch(() => '');
    return text.includes('#EXTINF') ? text : undefined;
  }, WAIT).catch((error: Error) => {
    throw new Error(`${error.message}\nffmpeg: ${(publisher as unknown as { stderr: string }).stderr}\nhaproxy: ${front.logs()}`);
  });
  t.notMatch(playlist, key.split('_')[2]!, 'the playlist does not contain the stream key');

  const headers = await curlTrusting(front.certPem, ['-f', '-o', '/dev/null', '-D', '-', hlsUrl]);
  t.match(headers, /^strict-transport-security: max-age=31536000\r?$/im, 'HTTPS answers carry Strict-Transport-Security');
  t.notMatch(headers, /^server:/im, 'no Server banner');
  for (const url of [`${platform.apiUrl}/health`, `${platform.edgeUrl}/health`, `${platform.originUrl}/health`]) {
    const response = await fetch(url);
    t.same([response.headers.get('server'), response.headers.get('x-powered-by')], [null, null], `no server banner from ${new URL(url).port === new URL(platform.apiUrl).port ? 'the API' : url}`);
    await response.body?.cancel();
  }

  // The origin is private: asked directly without the edges' secret it refuses, so nothing plays
  // around the edge; with it (as the edge asks) it serves.
  const direct = await fetch(`${platform.originUrl}/${stream.id}/index.m3u8`);
  t.equal(direct.status, 403, 'a direct origin request without the secret is refused');
  t.match(await direct.json(), { error: { code: 'LIVE_ERR_FORBIDDEN', message: /edges only/ } }, 'with a JSON body saying why');
  const segmentDirect = await fetch(`${platform.originUrl}/${stream.id}/${playlist.split('\n').find((line) => line.endsWith('.ts'))}`);
  t.equal(segmentDirect.status, 403, 'segments too');
  const withSecret = await fetch(`${platform.originUrl}/${stream.id}/index.m3u8`, { headers: { 'x-origin-secret': ORIGIN_SECRET } });
  t.equal(withSecret.status, 200, 'with the secret, as the edge asks, the origin serves');
  await withSecret.body?.cancel();
  t.equal((await fetch(`${platform.originUrl}/ready`)).status, 200, 'health checks need no secret');

  const dir = await mkdtemp(path.join(os.tmpdir(), 'livestack-tls-segment-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const segment = playlist.split('\n').find((line) => line.endsWith('.ts'))!;
  const segmentFile = path.join(dir, 'segment.ts');
  await curlTrusting(front.certPem, ['-f', '-o', segmentFile, new URL(segment, hlsUrl).href]);
  t.ok((await readFile(segmentFile)).length > 0, 'a segment comes through HTTPS');
  const probe = await ffprobe(segmentFile);
  t.same(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], 'and decodes');

  const untrusted = await execFileAsync('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', hlsUrl]).then(() => 'accepted', (error: Error) => error.message);
  t.match(untrusted, /SSL certificate problem/, 'a client that does not trust the certificate is refused (the checks above are real)');

  // A browser going live: wss:// on the same HTTPS front, which sends only /ingest/ws to the
  // origin; the stream key authorizes it there (no edges' secret), and it plays through HTTPS.
  const webStream = (await api('POST', '/v1/streams', { name: 'TLS browser' })).json;
  const webKey = (await api('GET', `/v1/streams/${webStream.id}/stream-keys`)).json.data.find((k: { protocol: string }) => k.protocol === 'websocket').stream_key as string;
  const wsIngest = (await api('GET', '/v1/ingests?protocol=websocket')).json.ingests[0];
  t.equal(wsIngest.url_template, `wss://localhost:${httpsPort}/ingest/ws?stream_key={stream_key}`, 'the ingest list gives the wss:// URL');
  const trusted = { ca: await readFile(front.certPem) };
  const wrongKey = await new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(wsIngest.url_template.replace('{stream_key}', `publish_${webStream.id}_AAAAAAAAAAAAAAAAAAAAAAAA`), trusted);
    socket.on('open', () => resolve(101));
    socket.on('unexpected-response', (request, response) => {
      resolve(response.statusCode ?? 0);
      request.destroy();
    });
    socket.on('error', reject);
  });
  t.equal(wrongKey, 403, 'through wss://, a wrong key is refused by the origin at the upgrade');
  const webPublisher = await publishWebmOverWebSocket(wsIngest.url_template.replace('{stream_key}', encodeURIComponent(webKey)), { socketOptions: trusted });
  t.teardown(() => webPublisher.stop());
  const webHls = `https://localhost:${httpsPort}/${webStream.id}/index.m3u8`;
  await waitFor('the browser-published stream to play through HTTPS', async () => {
    const text = await curlTrusting(front.certPem, ['-f', webHls]).catch(() => '');
    return text.includes('#EXTINF') ? text : undefined;
  }, WAIT).catch((error: Error) => {
    throw new Error(`${error.message}\nhaproxy: ${front.logs()}\norigin: ${platform.logs('origin').slice(-3000)}`);
  });
  t.pass('a WebM published over wss:// through HAProxy plays through HTTPS');
  const notUpgraded = await execFileAsync('curl', ['-sS', '--cacert', front.certPem, '-o', '/dev/null', '-w', '%{http_code}', `https://localhost:${httpsPort}/ingest/ws`]);
  t.equal(notUpgraded.stdout, '403', 'a plain request for the ingest path reaches only the origin\'s refusal (no edges\' secret), never its media');
  await webPublisher.stop();

  // Signed playback through HTTPS during a key rotation. No path plays without a token: not the
  // edge, not the origin (it refuses anything without the edges' secret, asserted above).
  t.equal((await api('PUT', `/v1/streams/${stream.id}`, { name: 'TLS', require_signed_urls: true })).status, 200);
  const unsigned = await waitFor('the edge to require signed URLs', async () => {
    const answer = await execFileAsync('curl', ['-sS', '--cacert', front.certPem, '-o', '/dev/null', '-w', '%{http_code}', hlsUrl]);
    return answer.stdout === '401' ? answer.stdout : undefined;
  }, WAIT);
  t.equal(unsigned, '401', 'without a token the HTTPS playlist is refused');
  const issued = (await api('POST', `/v1/streams/${stream.id}/playback-token`, { expires_in_s: 600 })).json as { token: string; playback_url: string };
  t.match(issued.playback_url, new RegExp(`^https://localhost:${httpsPort}/`), 'the signed playback URL is HTTPS');
  t.match(await curlTrusting(front.certPem, ['-f', issued.playback_url]), /#EXTINF/, 'a token the API signed with the previous key plays');
  const afterRotation = signPlaybackToken({ streamId: stream.id, issuedAtMs: Date.now(), expiresAtMs: Date.now() + 600_000 }, NEW_SIGNING_KEY);
  t.match(await curlTrusting(front.certPem, ['-f', `${hlsUrl}?token=${afterRotation}`]), /#EXTINF/, 'a token signed with the new key plays');
  const foreign = signPlaybackToken({ streamId: stream.id, issuedAtMs: Date.now(), expiresAtMs: Date.now() + 600_000 }, 'e2e-a-key-the-edge-does-not-hold-0123456789');
  const refused = await execFileAsync('curl', ['-sS', '--cacert', front.certPem, '-o', '/dev/null', '-w', '%{http_code}', `${hlsUrl}?token=${foreign}`]);
  t.equal(refused.stdout, '401', 'a token signed with neither key is refused');
  t.equal(await fetch(`${platform.originUrl}/${stream.id}/index.m3u8?token=${issued.token}`).then((r) => r.status), 403, 'the origin refuses even a valid token without the edges\' secret');
  const signedHls = issued.playback_url;

  // hls.js in Chromium, the page on another origin (CORS), the certificate trusted by its key's
  // pin: a browser pinning another key gets no answer at all.
  const untrusting = await launchChromium([`--ignore-certificate-errors-spki-list=${createHash('sha256').update('another key').digest('base64')}`]);
  t.teardown(() => untrusting.close());
  const refusedPlayer = await openHlsPlayer(untrusting, signedHls);
  t.teardown(() => refusedPlayer.close());
  const refusal = await waitFor('hls.js without the certificate trusted to fail', async () => {
    const snapshot = await refusedPlayer.snapshot();
    return snapshot.errors.some((e) => e.fatal) || snapshot.playingAt !== null ? snapshot : undefined;
  }, WAIT);
  t.ok(refusal.playingAt === null && refusal.errors.some((e) => e.fatal), 'without the certificate trusted, hls.js cannot load the stream');
  const browser = await launchChromium([`--ignore-certificate-errors-spki-list=${await spkiPin(front.certPem)}`]);
  t.teardown(() => browser.close());
  const player = await openHlsPlayer(browser, signedHls);
  t.teardown(() => player.close());
  const playing = await waitFor('hls.js to play the HTTPS stream', async () => {
    const snapshot = await player.snapshot();
    if (snapshot.errors.some((e) => e.fatal)) throw new Error(`fatal hls.js error: ${JSON.stringify(snapshot.errors)}`);
    return snapshot.playingAt !== null && snapshot.currentTime > 2 ? snapshot : undefined;
  }, WAIT).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${(await player.eventLog()).join('\n')}`);
  });
  t.same(playing.errors.filter((e) => e.fatal), [], 'no fatal hls.js error');

  // CORS as configured per stream, through HTTPS: only the allowed site's pages read it.
  t.equal((await api('PUT', `/v1/streams/${stream.id}`, { name: 'TLS', allowed_origins: ['player.example.com'] })).status, 200);
  const fromAllowed = await waitFor('the edge to apply the allowed site', async () => {
    const answer = await curlTrusting(front.certPem, ['-sS', '-o', '/dev/null', '-D', '-', '-H', 'Origin: https://player.example.com', issued.playback_url]);
    return /^access-control-allow-origin: https:\/\/player\.example\.com\r?$/im.test(answer) ? answer : undefined;
  }, WAIT);
  t.match(fromAllowed, /^HTTP\/2 200/, 'the allowed site plays, its origin echoed in Access-Control-Allow-Origin');
  const fromOther = await curlTrusting(front.certPem, ['-sS', '-D', '-', '-H', 'Origin: https://elsewhere.example', issued.playback_url]);
  t.match(fromOther, /^HTTP\/2 403/, 'another site is refused');
  // Only the error is readable by any page (players show why), never the playlist.
  t.match(fromOther, /"code":"LIVE_ERR_ORIGIN_NOT_ALLOWED"/, 'with the JSON error');
  t.notMatch(fromOther, /#EXTM3U/, 'and no playlist');
});
