/** A push to a real RTMP receiver (node-media-server's RTMP code) over 127.0.0.1. */
import t from 'tap';
import { decodeAmf0 } from '../../src/restream/amf0.js';
import { RestreamPush } from '../../src/restream/restream-push.js';
import type { RestreamStatus } from '../../src/restream/restream-status.js';
import { startRtmpReceiver, type ReceivedTag } from '../../../test-support/rtmp-receiver.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { decodeReceived } from './fixtures/decode-check.js';
import { feedFlv } from './fixtures/flv-feed.js';
import { LOCAL_TARGETS } from './fixtures/local-targets.js';
import { captureLog } from './fixtures/captured-log.js';

const isConfig = (tag: ReceivedTag) => (tag.type === 9 || tag.type === 8) && tag.body[1] === 0;

function monotonic(tags: readonly ReceivedTag[], type: number): boolean {
  const times = tags.filter((tag) => tag.type === type).map((tag) => tag.timestampMs);
  return times.every((time, i) => i === 0 || time >= times[i - 1]!);
}

t.test('headers first, then every frame from a keyframe on; ffmpeg decodes what arrived', async (t) => {
  const receiver = await startRtmpReceiver({ expectedKey: 'key1' });
  t.teardown(() => receiver.close());
  const statuses: RestreamStatus[] = [];
  const push = new RestreamPush({
    target: { id: 't1', url: `rtmp://127.0.0.1:${receiver.port}/live`, streamKey: 'key1', enabled: true },
    settings: LOCAL_TARGETS,
    onStatus: (status) => statuses.push(status),
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('live', () => push.status().state === 'live');
  // 12 s of media (two passes of the clip) at 4x real time.
  const feed = feedFlv((tag) => push.push(tag), { speed: 4, mediaMs: 12_000 });
  await feed.done;
  const publish = await waitFor('a publish', () => receiver.publishes[0]);
  await waitFor('the last frames', () => publish.tags.some((tag) => tag.type === 9 && tag.timestampMs >= 10_000));
  await push.stop();
  await waitFor('the receiver saw the publish end', () => publish.closed);

  t.equal(publish.app, 'live');
  t.equal(publish.name, 'key1');
  const [first, second, third, fourth] = publish.tags;
  t.equal(first?.type, 18, 'metadata first');
  t.same(decodeAmf0(first!.body).slice(0, 2), ['@setDataFrame', 'onMetaData']);
  t.ok(second && isConfig(second) && second.type === 9, 'then the AVC sequence header');
  t.ok(third && isConfig(third) && third.type === 8, 'then the AAC sequence header');
  t.equal(fourth?.type, 9);
  t.equal(fourth?.body[0], 0x17, 'then a keyframe');
  t.equal(fourth?.timestampMs, 0, 'the connection starts at 0');
  t.ok(monotonic(publish.tags, 9) && monotonic(publish.tags, 8), 'timestamps only go forward');
  const videoFrames = publish.tags.filter((tag) => tag.type === 9 && !isConfig(tag)).length;
  t.ok(videoFrames >= 300, `about 11 s of 30 fps video arrived (${videoFrames} frames)`);

  const { probe, decodeErrors } = await decodeReceived(publish.tags);
  t.same(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
  t.ok(probe.packets.filter((p) => p.codec_type === 'video').length >= 300);
  t.equal(decodeErrors, '', 'every frame decodes');

  t.same(statuses.map((s) => s.state), ['connecting', 'live', 'idle']);
  const final = push.status();
  t.ok(final.bytesSent > 500_000, `bytes sent counted (${final.bytesSent})`);
  t.equal(final.skippedKeyframes, 0);
  t.equal(final.attempts, 1);
  t.notOk(JSON.stringify(statuses).includes('key1'), 'no status holds the stream key');
  t.comment(`push(): ${feed.sinkTime.calls} calls, ${feed.sinkTime.totalMs.toFixed(1)} ms in total, worst ${feed.sinkTime.maxMs.toFixed(3)} ms`);
});

t.test('bitrate is reported while live', async (t) => {
  const receiver = await startRtmpReceiver();
  t.teardown(() => receiver.close());
  const push = new RestreamPush({ target: { id: 't', url: `rtmp://127.0.0.1:${receiver.port}/live`, streamKey: 'k', enabled: true }, settings: LOCAL_TARGETS });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('live', () => push.status().state === 'live');
  const feed = feedFlv((tag) => push.push(tag), { speed: 1, mediaMs: 4_500 });
  t.teardown(() => feed.stop());
  const bitrate = await waitFor('a bitrate', () => {
    const bps = push.status().bitrateBps;
    return bps > 0 ? bps : undefined;
  });
  await feed.done;
  const late = push.status().bitrateBps;
  t.ok(late > 200_000 && late < 2_000_000, `about the clip's 513 kbps (${bitrate} then ${late} bps)`);
});

t.test('a disabled target does nothing', async (t) => {
  const push = new RestreamPush({ target: { id: 'off', url: 'rtmp://127.0.0.1:1/live', streamKey: 'k', enabled: false } });
  push.start();
  push.push({ type: 9, timestampMs: 0, body: new Uint8Array([0x17, 1, 0, 0, 0]) });
  t.match(push.status(), { state: 'disabled', attempts: 0, bytesSent: 0 });
  await push.stop();
  t.equal(push.status().state, 'disabled');
});

t.test('an unusable URL fails at once; the status says refused, the log why', async (t) => {
  const log = captureLog();
  const push = new RestreamPush({ target: { id: 'bad', url: 'http://example.com/app', streamKey: 'secretkey', enabled: true }, logger: log.logger });
  push.start();
  await waitFor('failed', () => push.status().state === 'failed');
  t.match(push.status().lastError, { code: 'RESTREAM_REFUSED', message: 'refused' });
  t.match(log.failures(), [{ code: 'RESTREAM_ERR_URL', reason: /scheme "http:"/ }]);
  await push.stop();
});
