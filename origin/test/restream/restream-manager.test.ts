/** RestreamManager against real receivers: target changes while live, publisher drop-outs. */
import t from 'tap';
import { RestreamManager } from '../../src/restream/restream-manager.js';
import type { RestreamTarget } from '../../src/restream/restream-target.js';
import type { RestreamStatus } from '../../src/restream/restream-status.js';
import { startRtmpReceiver, type ReceivedPublish } from '../../../test-support/rtmp-receiver.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { decodeReceived } from './fixtures/decode-check.js';
import { feedFlv } from './fixtures/flv-feed.js';
import { LOCAL_TARGETS } from './fixtures/local-targets.js';

const hasKeyframe = (publish: ReceivedPublish | undefined) => publish?.tags.some((tag) => tag.type === 9 && tag.body[0] === 0x17 && tag.body[1] === 1);
const headTypes = (publish: ReceivedPublish) => publish.tags.slice(0, 4).map((tag) => `${tag.type}:${tag.type === 18 ? '' : tag.body[1]}`);

t.test('setTargets: added start, removed stop, changed restart, disabled stop; late targets get the headers', async (t) => {
  const a = await startRtmpReceiver();
  const b = await startRtmpReceiver();
  const c = await startRtmpReceiver();
  t.teardown(() => Promise.all([a.close(), b.close(), c.close()]));
  const updates: RestreamStatus[] = [];
  const manager = new RestreamManager({ settings: LOCAL_TARGETS, onStatus: (status) => updates.push(status) });
  t.teardown(() => manager.stop());
  const target = (id: string, port: number, streamKey: string, enabled = true): RestreamTarget => ({ id, url: `rtmp://127.0.0.1:${port}/live`, streamKey, enabled });

  manager.setTargets([target('a', a.port, 'ka'), target('b', b.port, 'kb')]);
  const feed = feedFlv((tag) => manager.push(tag), { speed: 2, mediaMs: 60_000 });
  t.teardown(() => feed.stop());
  await waitFor('a and b receive media', () => hasKeyframe(a.publishes[0]) && hasKeyframe(b.publishes[0]));

  // b disabled, c added mid-stream (its headers went by long ago), a's key changed.
  manager.setTargets([target('a', a.port, 'ka2'), target('b', b.port, 'kb', false), target('c', c.port, 'kc')]);
  await waitFor('b unpublished', () => b.publishes[0]?.closed);
  await waitFor('a republished with its new key', () => hasKeyframe(a.publishes[1]));
  await waitFor('c receives media', () => hasKeyframe(c.publishes[0]));
  t.ok(a.publishes[0]?.closed, "a's first publish ended");
  t.equal(a.publishes[1]?.name, 'ka2');
  t.same(headTypes(c.publishes[0]!), ['18:', '9:0', '8:0', '9:1'], 'the late target starts with metadata and both sequence headers');
  t.same(headTypes(a.publishes[1]!), ['18:', '9:0', '8:0', '9:1'], 'so does the restarted one');
  t.same(Object.fromEntries(manager.statuses().map((s) => [s.targetId, s.state])), { a: 'live', b: 'disabled', c: 'live' });
  t.ok(updates.some((s) => s.targetId === 'b' && s.state === 'disabled'), 'the disabled state is reported');
  t.notOk(updates.some((s) => s.targetId === 'b' && s.state === 'idle'), "the replaced push's closing status is not reported");

  manager.setTargets([target('c', c.port, 'kc')]);
  await waitFor('a unpublished', () => a.publishes[1]?.closed);
  t.same(manager.statuses().map((s) => s.targetId), ['c']);
  t.equal(c.publishes.length, 1, 'an unchanged target is left alone');

  await manager.stop();
  await waitFor('c unpublished', () => c.publishes[0]?.closed);
  t.equal(updates.filter((s) => s.targetId === 'c').pop()?.state, 'idle', 'the end of the stream is reported');
  feed.stop();
});

t.test('the publisher leaves and returns twice: one publish at the target, time only forward', async (t) => {
  const receiver = await startRtmpReceiver();
  t.teardown(() => receiver.close());
  const manager = new RestreamManager({ settings: LOCAL_TARGETS });
  t.teardown(() => manager.stop());
  manager.setTargets([{ id: 'r', url: `rtmp://127.0.0.1:${receiver.port}/live`, streamKey: 'k', enabled: true }]);
  await waitFor('live', () => manager.statuses()[0]?.state === 'live');

  // Three publisher sessions, each an encoder starting its clock anew (the second far off, at 90 000 s).
  const isVideoFrame = (tag: { type: number; body: Uint8Array }) => tag.type === 9 && tag.body[1] === 1;
  let videoFramesPushed = 0;
  for (const startMs of [0, 90_000_000, 0]) {
    const feed = feedFlv(
      (tag) => {
        if (isVideoFrame(tag)) videoFramesPushed += 1;
        manager.push(tag);
      },
      { speed: 4, mediaMs: 6_000, startMs },
    );
    await feed.done;
    manager.sourceEnded();
    await new Promise((resolve) => setTimeout(resolve, 300));
    manager.sourceRestarted();
  }
  const publish = receiver.publishes[0]!;
  // Every frame pushed has arrived or was dropped: whatever the sessions made the push do, it did.
  await waitFor('every video frame pushed to be accounted for', () => {
    const received = receiver.publishes.flatMap((each) => each.tags).filter(isVideoFrame).length;
    return received + (manager.statuses()[0]?.droppedFrames ?? 0) >= videoFramesPushed;
  }, { timeoutMs: 60_000 });
  t.equal(receiver.publishes.length, 1, 'one publish session at the target');
  t.notOk(publish.closed);
  for (const type of [8, 9]) {
    const times = publish.tags.filter((tag) => tag.type === type).map((tag) => tag.timestampMs);
    t.ok(times.every((time, i) => i === 0 || time >= times[i - 1]!), `track ${type}: timestamps only go forward`);
    t.ok(times[times.length - 1]! < 20_000, `track ${type}: no jump to the second encoder's clock (${times[times.length - 1]} ms)`);
  }
  t.equal(publish.tags.filter((tag) => tag.type === 9 && tag.body[1] === 0).length, 3, 'sequence headers again before each session');
  const { decodeErrors } = await decodeReceived(publish.tags);
  t.equal(decodeErrors, '', 'ffmpeg decodes the whole publish');
});

t.test('a publisher that returns with other codec parameters gets a new publish at the target', async (t) => {
  const receiver = await startRtmpReceiver();
  t.teardown(() => receiver.close());
  const updates: RestreamStatus[] = [];
  const manager = new RestreamManager({ settings: LOCAL_TARGETS, onStatus: (status) => updates.push(status) });
  t.teardown(() => manager.stop());
  manager.setTargets([{ id: 'r', url: `rtmp://127.0.0.1:${receiver.port}/live`, streamKey: 'k', enabled: true }]);
  await waitFor('live', () => manager.statuses()[0]?.state === 'live');
  await feedFlv((tag) => manager.push(tag), { speed: 4, mediaMs: 3_000 }).done;
  manager.sourceEnded();
  manager.sourceRestarted();
  // High profile with B-frames: another SPS/PPS, which a platform cannot switch to mid-publish.
  await feedFlv((tag) => manager.push(tag), { speed: 4, mediaMs: 4_000, asset: 'h264-bframes-aac.flv' }).done;
  const second = await waitFor('a second publish', () => (hasKeyframe(receiver.publishes[1]) ? receiver.publishes[1] : undefined));
  t.ok(receiver.publishes[0]?.closed, 'the first publish was ended cleanly');
  t.same(headTypes(second), ['18:', '9:0', '8:0', '9:1']);
  t.equal(second.tags[3]?.timestampMs, 0);
  t.equal(manager.statuses()[0]?.attempts, 1, 'a codec change is not a failure');
  t.notOk(updates.some((s) => s.state === 'retrying'));
  const { decodeErrors, probe } = await decodeReceived(second.tags);
  t.equal(decodeErrors, '');
  t.match(probe.streams.find((s) => s.codec_type === 'video'), { profile: 'High' });
  t.ok(probe.packets.some((p) => p.codec_type === 'video' && p.pts_time !== p.dts_time), 'composition times (B-frames) pass through');
});
