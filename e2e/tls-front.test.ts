/**
 * TLS at the front (issue 16), one platform serving every assertion: HAProxy terminates RTMPS and
 * HTTPS as `npm start` runs it (deploy/haproxy/tls-single-host.cfg, a self-signed certificate made
 * by scripts/make-tls-cert.sh). The ingest list and the playback URL are the TLS forms; real ffmpeg
 * publishes OBS-style to rtmps:// verifying the certificate against it as a CA; curl plays the
 * stream through HTTPS with the CA trusted (Strict-Transport-Security, no Server banner); hls.js in
 * headless Chromium plays the same https:// URL.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { launchChromium } from '../test-support/chromium.js';
import { ffprobe, publishWithFfmpeg, testAsset } from '../test-support/ffmpeg.js';
import { freePort } from '../test-support/free-port.js';
import { openHlsPlayer } from '../test-support/hls-player.js';
import { curlTrusting, startTlsFront } from '../test-support/tls-front.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const execFileAsync = promisify(execFile);
const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const WAIT = { timeoutMs: 60_000, intervalMs: 250 };

t.test('RTMPS ingest and HTTPS playback through HAProxy with a self-signed certificate', async (t) => {
  const [rtmpsPort, httpsPort] = await Promise.all([freePort(), freePort()]);
  const platform = await startPlatform({
    ADMIN_TOKEN,
    PUBLIC_PLAYBACK_URL: `https://localhost:${httpsPort}`,
    INGEST_RTMP_URL: `rtmps://localhost:${rtmpsPort}/stream/{stream_key}`,
  });
  t.teardown(() => platform.stop());
  const front = await startTlsFront({
    rtmpPort: Number(new URL(platform.rtmpUrl).port),
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

  // hls.js in Chromium, the page on another origin (CORS), the certificate accepted by the browser's flag.
  const browser = await launchChromium(['--ignore-certificate-errors']);
  t.teardown(() => browser.close());
  const player = await openHlsPlayer(browser, hlsUrl);
  t.teardown(() => player.close());
  const playing = await waitFor('hls.js to play the HTTPS stream', async () => {
    const snapshot = await player.snapshot();
    if (snapshot.errors.some((e) => e.fatal)) throw new Error(`fatal hls.js error: ${JSON.stringify(snapshot.errors)}`);
    return snapshot.playingAt !== null && snapshot.currentTime > 2 ? snapshot : undefined;
  }, WAIT).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${(await player.eventLog()).join('\n')}`);
  });
  t.same(playing.errors.filter((e) => e.fatal), [], 'no fatal hls.js error');
});
