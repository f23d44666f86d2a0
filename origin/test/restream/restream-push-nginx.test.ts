/** A push to nginx with its RTMP module, the server many platforms' ingest is built on. */
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { RestreamPush } from '../../src/restream/restream-push.js';
import { ffprobe } from '../../../test-support/ffmpeg.js';
import { startNginxRtmp } from '../../../test-support/nginx-rtmp.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { feedFlv } from './fixtures/flv-feed.js';
import { LOCAL_TARGETS } from './fixtures/local-targets.js';
import { captureLog } from './fixtures/captured-log.js';

t.test('nginx-rtmp takes the publish and packages it as HLS that ffprobe reads', async (t) => {
  const hlsPath = await mkdtemp(path.join(os.tmpdir(), 'restream-nginx-'));
  t.teardown(() => rm(hlsPath, { recursive: true, force: true }));
  const nginx = await startNginxRtmp({ hlsPath, hlsFragmentSeconds: 1 });
  t.teardown(() => nginx.stop());
  const push = new RestreamPush({ target: { id: 'nginx', url: nginx.rtmpUrl, streamKey: 'nginxkey', enabled: true }, settings: LOCAL_TARGETS });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('live', () => push.status().state === 'live');
  const feed = feedFlv((tag) => push.push(tag), { speed: 2, mediaMs: 12_000 });
  t.teardown(() => feed.stop());
  await feed.done;
  const playlist = path.join(hlsPath, 'nginxkey', 'index.m3u8');
  const text = await waitFor('an HLS playlist with segments', async () => {
    const body = await readFile(playlist, 'utf8').catch(() => '');
    return (body.match(/\.ts/g) ?? []).length >= 3 ? body : undefined;
  });
  t.match(text, /#EXTM3U/);
  // The playlist is live (no ENDLIST): probe its segments, which are complete files.
  const segments = text.split('\n').filter((line) => line.endsWith('.ts'));
  const probes = await Promise.all(segments.map((segment) => ffprobe(`${nginx.httpUrl}/nginxkey/${segment}`)));
  t.same(probes[0]?.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
  const videoPackets = probes.reduce((sum, probe) => sum + probe.packets.filter((p) => p.codec_type === 'video').length, 0);
  t.ok(videoPackets > 150, `several seconds of video in ${segments.length} segments (${videoPackets} frames)`);
  t.same(probes.map((probe) => probe.errors).filter(Boolean), [], 'ffprobe read them without errors');
  t.equal(push.status().state, 'live');
  await push.stop();
  // nginx's HLS module looks for a previous playlist at publish start: not an error of ours.
  const errors = (await nginx.errorLog()).split('\n').filter((line) => /\[(error|crit|alert)\]/.test(line) && !/index\.m3u8" failed \(2:/.test(line));
  t.same(errors, [], 'nginx logged no error');
});

t.test('nginx on_publish refusing the key: failed after `attempts`', async (t) => {
  const names: string[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const name = new URLSearchParams(body).get('name') ?? '';
      names.push(name);
      res.writeHead(name === 'goodkey' ? 200 : 403).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => hook.close(() => resolve())));
  const hlsPath = await mkdtemp(path.join(os.tmpdir(), 'restream-nginx-'));
  t.teardown(() => rm(hlsPath, { recursive: true, force: true }));
  const nginx = await startNginxRtmp({ hlsPath, onPublishUrl: `http://127.0.0.1:${(hook.address() as { port: number }).port}/publish` });
  t.teardown(() => nginx.stop());
  const details = captureLog();
  const push = new RestreamPush({
    target: { id: 'refused', url: nginx.rtmpUrl, streamKey: 'badkey99', enabled: true, retry: { attempts: 2, delayS: 0.1 } },
    settings: LOCAL_TARGETS,
    logger: details.logger,
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('failed', () => push.status().state === 'failed', { timeoutMs: 60_000 });
  t.same(names, ['badkey99', 'badkey99'], 'nginx asked twice');
  t.match(push.status().lastError, { code: 'RESTREAM_REFUSED', message: 'refused' });
  const failure = details.failures().at(-1);
  t.match(failure, { code: 'RESTREAM_ERR_REJECTED' });
  t.notOk(JSON.stringify(details.lines).includes('badkey99'), 'the key is not in the log');
  t.comment(`reason in the log: ${failure?.reason}`);
});
