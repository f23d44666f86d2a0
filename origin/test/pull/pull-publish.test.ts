import { pathToFileURL } from 'node:url';
import t from 'tap';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { freePort } from '../../../test-support/free-port.js';
import type { FlvTag } from '../../src/ingest/flv-tag-source.js';
import { pullFfmpegArgs } from '../../src/pull/pull-ffmpeg-args.js';
import { PullPublish } from '../../src/pull/pull-publish.js';

const LIMITS = { idleTimeoutMs: 30_000, maxBytesPerSecond: 64 * 1024 * 1024 };

/** One PullPublish run over real ffmpeg: the tags it gave, how often onMedia and onEnded fired, and why it ended. */
function run(url: string): Promise<{ tags: FlvTag[]; media: number; reasons: string[]; closes: number }> {
  return new Promise((resolve) => {
    const tags: FlvTag[] = [];
    const reasons: string[] = [];
    let media = 0;
    let closes = 0;
    const publish = new PullPublish({
      id: 'session-1',
      streamKey: 'publish_abcdefgh_secretsecretsecretsecret12',
      url,
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
}

t.test('ffmpeg copies the source to FLV; a media file over HTTP is read in real time, live sources as they come', async (t) => {
  t.ok(pullFfmpegArgs('https://cdn.example/clip.mp4?token=x').includes('-re'), 'a media file: -re');
  for (const url of ['https://cdn.example/live/index.m3u8', 'rtmp://h.example/live/a', 'srt://h.example:9000?streamid=x']) {
    t.notOk(pullFfmpegArgs(url).includes('-re'), `${url}: paced by the source`);
  }
  const args = pullFfmpegArgs('rtmp://h.example/live/a');
  t.same(args.slice(args.indexOf('-i')), ['-i', 'rtmp://h.example/live/a', '-map', '0:v:0?', '-map', '0:a:0?', '-c', 'copy', '-f', 'flv', 'pipe:1']);
});

t.test('a source that plays to its end gives its audio and video tags, then ends once', async (t) => {
  const { tags, media, reasons, closes } = await run(pathToFileURL(testAsset('h264-aac.flv')).href);
  t.ok(tags.some((tag) => tag.type === 9), 'video tags');
  t.ok(tags.some((tag) => tag.type === 8), 'audio tags');
  t.equal(media, 1, 'onMedia once');
  t.same(reasons, ['ffmpeg stopped (0): the source ended']);
  t.equal(closes, 1, 'close listeners once');
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
