import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { AddressRefusedError } from '../../../network-policy/src/address-policy.js';
import { createLogger } from '../../../service-kit/src/logger.js';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { freePort } from '../../../test-support/free-port.js';
import type { FlvTag } from '../../src/ingest/flv-tag-source.js';
import { pinnedSourceUrl, protocolWhitelist, pullFfmpegArgs, pullFfmpegEnv } from '../../src/pull/pull-ffmpeg-args.js';
import { PullEgressProxy } from '../../src/pull/pull-egress-proxy.js';
import { PullPublish } from '../../src/pull/pull-publish.js';

const LIMITS = { idleTimeoutMs: 30_000, maxBytesPerSecond: 64 * 1024 * 1024 };

/** Allows the host "127.0.0.1", refuses "localhost": both are this machine, one stands for a private address. */
const policy = {
  resolve: async (host: string) => {
    if (host === '127.0.0.1') return ['127.0.0.1'];
    throw new AddressRefusedError(host, '127.0.0.1', 'loopback');
  },
};

/**
 * A source on 127.0.0.1 that records the paths asked for: `/clip.flv` (6 s of H.264 + AAC),
 * `/redirect` to it on the refused host, and a playlist whose segment is on the refused host.
 */
async function sourceServer(t: Test): Promise<{ url: string; paths: string[] }> {
  const clip = await readFile(testAsset('h264-aac.flv'));
  const paths: string[] = [];
  const server = http.createServer((request, response) => {
    paths.push(request.url ?? '');
    const port = (server.address() as AddressInfo).port;
    const playlist = (segment: string) => `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\n${segment}\n#EXT-X-ENDLIST\n`;
    switch (request.url) {
      case '/clip.flv':
        return response.writeHead(200, { 'Content-Type': 'video/x-flv' }).end(clip);
      case '/redirect':
        return response.writeHead(302, { Location: `http://localhost:${port}/clip.flv` }).end();
      case '/elsewhere.m3u8':
        return response.writeHead(200).end(playlist(`http://localhost:${port}/segment.ts`));
      default:
        return response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

/** One PullPublish run over real ffmpeg: the tags it gave, how often onMedia and onEnded fired, why it ended and what its proxy refused. */
async function run(url: string): Promise<{ tags: FlvTag[]; media: number; reasons: string[]; closes: number; refusal: string | undefined }> {
  const proxy = await PullEgressProxy.start({ addressPolicy: policy, logger: createLogger('origin-test', 'silent') });
  const ended = await new Promise<{ tags: FlvTag[]; media: number; reasons: string[]; closes: number }>((resolve) => {
    const tags: FlvTag[] = [];
    const reasons: string[] = [];
    let media = 0;
    let closes = 0;
    const publish = new PullPublish({
      id: 'session-1',
      streamKey: 'publish_abcdefgh_secretsecretsecretsecret12',
      url,
      proxyUrl: proxy.url,
      host: 'source.test',
      ffmpegPath: 'ffmpeg',
      limits: LIMITS,
      onMedia: () => media++,
      onEnded: (reason) => reasons.push(reason),
    });
    publish.setSink((tag) => tags.push({ ...tag, body: tag.body.slice() }));
    publish.onClose(() => {
      closes++;
      // Listeners are called after onEnded; a late second end must not call anything again.
      publish.stop();
      setImmediate(() => resolve({ tags, media, reasons, closes }));
    });
    t.equal(publish.remoteAddress, 'pull:source.test');
    t.equal(publish.requestedName, 'publish_abcdefgh_secretsecretsecretsecret12', 'publishes with the stream key');
  });
  proxy.close();
  return { ...ended, refusal: proxy.refusal };
}

t.test('ffmpeg copies the source to FLV; a media file over HTTP is read in real time, live sources as they come', async (t) => {
  t.ok(pullFfmpegArgs('https://cdn.example/clip.mp4?token=x').includes('-re'), 'a media file: -re');
  for (const url of ['https://cdn.example/live/index.m3u8', 'rtmp://h.example/live/a', 'srt://h.example:9000?streamid=x']) {
    t.notOk(pullFfmpegArgs(url).includes('-re'), `${url}: paced by the source`);
  }
  // What a playlist or a redirect may make ffmpeg open: never a file, never a UDP or RTP socket.
  t.equal(protocolWhitelist(new URL('https://cdn.example/live/index.m3u8')), 'http,https,tls,tcp,httpproxy,crypto');
  t.equal(protocolWhitelist(new URL('srt://h.example:9000')), 'srt');
  const args = pullFfmpegArgs('rtmp://h.example/live/a');
  t.same(args.slice(args.indexOf('-protocol_whitelist')), ['-protocol_whitelist', 'rtmp,tcp', '-i', 'rtmp://h.example/live/a', '-map', '0:v:0?', '-map', '0:a:0?', '-c', 'copy', '-f', 'flv', 'pipe:1']);
});

t.test('only SRT sources are opened at the checked address; ffmpeg goes through the proxy, whatever the environment said', async (t) => {
  t.equal(pinnedSourceUrl('srt://src.example:9000?streamid=publish/a&passphrase=p', '203.0.113.7'), 'srt://203.0.113.7:9000?streamid=publish/a&passphrase=p');
  t.equal(pinnedSourceUrl('srt://src.example:9000?streamid=a', '2001:db8::7'), 'srt://[2001:db8::7]:9000?streamid=a');
  for (const url of ['rtmp://src.example/live/a', 'rtmps://src.example/live/a', 'https://src.example/live/index.m3u8']) t.equal(pinnedSourceUrl(url, '203.0.113.7'), url, url);
  const env = pullFfmpegEnv({ PATH: '/usr/bin', no_proxy: '*', NO_PROXY: '*', HTTPS_PROXY: 'http://corp:3128', http_proxy: 'http://corp:3128' }, 'http://127.0.0.1:4000');
  t.same(env, { PATH: '/usr/bin', http_proxy: 'http://127.0.0.1:4000' });
});

t.test('a source that plays to its end gives its audio and video tags, then ends once', async (t) => {
  const source = await sourceServer(t);
  const { tags, media, reasons, closes, refusal } = await run(`${source.url}/clip.flv`);
  t.ok(tags.some((tag) => tag.type === 9), 'video tags');
  t.ok(tags.some((tag) => tag.type === 8), 'audio tags');
  t.equal(media, 1, 'onMedia once');
  t.same(reasons, ['ffmpeg stopped (0): the source ended']);
  t.equal(closes, 1, 'close listeners once');
  t.equal(refusal, undefined, 'through the proxy, which refused nothing');
  t.same(source.paths, ['/clip.flv']);
});

t.test('a redirect to a refused host is not followed: the proxy refuses it and the target never sees a request', async (t) => {
  const source = await sourceServer(t);
  const { tags, reasons, refusal } = await run(`${source.url}/redirect`);
  t.equal(tags.length, 0, 'no media');
  t.equal(reasons.length, 1);
  t.equal(refusal, 'host "localhost" resolves to 127.0.0.1, a loopback address');
  t.same(source.paths, ['/redirect'], 'the clip was never asked for');
});

t.test("a playlist's segment on a refused host is not fetched", async (t) => {
  const source = await sourceServer(t);
  const { tags, refusal } = await run(`${source.url}/elsewhere.m3u8`);
  t.equal(tags.length, 0, 'no media');
  t.equal(refusal, 'host "localhost" resolves to 127.0.0.1, a loopback address');
  t.same(source.paths, ['/elsewhere.m3u8'], 'only the playlist was asked for');
});

t.test("a source that cannot be reached ends with ffmpeg's reason, its secrets masked", async (t) => {
  const url = `rtmp://viewer:hunter2secret@127.0.0.1:${await freePort()}/live/cam?token=tok3nsecret`;
  const { tags, media, reasons } = await run(url);
  t.equal(tags.length, 0);
  t.equal(media, 0);
  t.equal(reasons.length, 1);
  t.match(reasons[0], /^ffmpeg stopped \(\d+\): /);
  t.notMatch(reasons[0], /hunter2secret|tok3nsecret/, 'no secret in the reason');
});
