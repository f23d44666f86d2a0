/**
 * A stuck target (accepts the publish, then stops reading) next to a healthy one, both fed by
 * one RestreamManager: the stuck push's backlog stays bounded and it skips to keyframes, the
 * healthy one gets everything, and push() stays fast.
 */
import t from 'tap';
import { RestreamManager } from '../../src/restream/restream-manager.js';
import type { RestreamStatus } from '../../src/restream/restream-status.js';
import { startRtmpReceiver } from '../../../test-support/rtmp-receiver.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { decodeReceived } from './fixtures/decode-check.js';
import { feedFlv } from './fixtures/flv-feed.js';
import { LOCAL_TARGETS } from './fixtures/local-targets.js';
import { captureLog } from './fixtures/captured-log.js';

const settings = {
  ...LOCAL_TARGETS,
  maxBacklogBytes: 512 * 1024,
  maxBacklogMs: 3000,
  sendBufferBytes: 64 * 1024,
};

t.test('a stalled target stays bounded and skips; the other target keeps flowing', async (t) => {
  const stuck = await startRtmpReceiver({ stallAfterPublish: true });
  const healthy = await startRtmpReceiver();
  t.teardown(() => Promise.all([stuck.close(), healthy.close()]));
  const updates: RestreamStatus[] = [];
  // What the origin's metrics are told, over both targets.
  const counted = { skips: 0 };
  const manager = new RestreamManager({
    settings,
    onStatus: (status) => updates.push(status),
    counters: {
      bytesSent: () => undefined,
      retryScheduled: () => undefined,
      failed: () => undefined,
      keyframesSkipped: (count) => (counted.skips += count),
    },
  });
  t.teardown(() => manager.stop());
  manager.setTargets([
    { id: 'stuck', url: `rtmp://127.0.0.1:${stuck.port}/live`, streamKey: 's', enabled: true },
    { id: 'healthy', url: `rtmp://127.0.0.1:${healthy.port}/live`, streamKey: 'h', enabled: true },
  ]);
  await waitFor('both live', () => manager.statuses().every((s) => s.state === 'live'));

  let maxBacklog = 0;
  const sampler = setInterval(() => {
    const status = manager.statuses().find((s) => s.targetId === 'stuck');
    maxBacklog = Math.max(maxBacklog, status?.backlogBytes ?? 0);
  }, 20);
  t.teardown(() => clearInterval(sampler));
  // 90 s of media at 10x: enough for the kernel buffers in front of the stuck reader to fill.
  const mediaMs = 90_000;
  const feed = feedFlv((tag) => manager.push(tag), { speed: 10, mediaMs });
  await feed.done;
  clearInterval(sampler);

  const stuckStatus = manager.statuses().find((s) => s.targetId === 'stuck')!;
  t.equal(stuckStatus.state, 'live', 'the stuck target is still connected (the stall timeout is 30 s of wall time)');
  t.ok(stuckStatus.skippedKeyframes >= 1, `keyframe skips reported (${stuckStatus.skippedKeyframes})`);
  t.ok(stuckStatus.droppedFrames > 100, `frames dropped (${stuckStatus.droppedFrames})`);
  // A frame may land on top of a full queue before the bound drops it.
  t.ok(maxBacklog <= settings.maxBacklogBytes + 64 * 1024, `backlog bounded: at most ${maxBacklog} bytes`);
  t.ok(updates.some((s) => s.targetId === 'stuck' && s.skippedKeyframes > 0), 'skips are reported through onStatus');
  t.equal(counted.skips, stuckStatus.skippedKeyframes, 'every skip counted for the metrics, once');

  const publish = await waitFor('healthy publish', () => healthy.publishes[0]);
  await waitFor('the healthy target has it all', () => publish.tags.some((tag) => tag.type === 9 && tag.timestampMs >= mediaMs - 3_000));
  const healthyStatus = manager.statuses().find((s) => s.targetId === 'healthy')!;
  t.equal(healthyStatus.skippedKeyframes, 0, 'the healthy target never skipped');
  t.equal(healthyStatus.droppedFrames, 0);
  const videoFrames = publish.tags.filter((tag) => tag.type === 9 && tag.body[1] === 1).length;
  t.ok(videoFrames >= ((mediaMs - 1_500) / 1000) * 30 * 0.98, `the healthy target got every frame from its first keyframe (${videoFrames})`);
  const { decodeErrors } = await decodeReceived(publish.tags);
  t.equal(decodeErrors, '', 'and it decodes');

  const { calls, totalMs, maxMs } = feed.sinkTime;
  t.comment(
    `manager.push() over the run: ${calls} calls, ${totalMs.toFixed(1)} ms total, ${((totalMs / calls) * 1000).toFixed(1)} µs mean, ` +
      `p99 ${(feed.percentileMs(99) * 1000).toFixed(0)} µs, worst ${maxMs.toFixed(3)} ms`,
  );
  t.comment(`stuck target: ${stuckStatus.skippedKeyframes} keyframe skips, ${stuckStatus.droppedFrames} frames dropped, peak backlog ${maxBacklog} bytes`);
  await manager.stop();
  t.same(manager.statuses(), [], 'stopped pushes are gone');
});

t.test('a target that takes nothing for stallTimeoutMs is reconnected', async (t) => {
  const stuck = await startRtmpReceiver({ stallAfterPublish: true });
  t.teardown(() => stuck.close());
  const updates: RestreamStatus[] = [];
  const details = captureLog();
  const manager = new RestreamManager({
    settings: { ...settings, stallTimeoutMs: 1000, retryDelayS: 0.1, retryJitter: 0 },
    onStatus: (status) => updates.push(status),
    logger: details.logger,
  });
  t.teardown(() => manager.stop());
  manager.setTargets([{ id: 'stuck', url: `rtmp://127.0.0.1:${stuck.port}/live`, streamKey: 'stuckkey', enabled: true }]);
  const feed = feedFlv((tag) => manager.push(tag), { speed: 10, mediaMs: 300_000 });
  t.teardown(() => feed.stop());
  await waitFor('a stall detected', () => updates.some((s) => s.state === 'retrying'), { timeoutMs: 60_000 });
  const retrying = updates.find((s) => s.state === 'retrying')!;
  t.match(retrying.lastError, { code: 'RESTREAM_TIMED_OUT', message: 'timed out' });
  t.match(details.failures()[0], { code: 'RESTREAM_ERR_STALLED', reason: /took no data for \d+ s/ });
  // (The paused receiver cannot notice the cut; a second publish shows the push moved on.)
  await waitFor('published again', () => stuck.publishes.length >= 2);
  t.pass('a new publish replaced the stuck one');
});
