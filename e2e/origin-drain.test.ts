/**
 * An origin told to go away (SIGTERM, as an orchestrator or a deploy does) drains: its readiness
 * fails at once, so a load balancer sends new publishers elsewhere, and new RTMP connections are
 * refused; the publishers already live go on (viewers keep getting new segments through the edge)
 * until they stop, then the origin exits. Past DRAIN_TIMEOUT_SECONDS the publishers left are cut.
 * SIGINT, or a second signal while draining, stops at once.
 */
import t from 'tap';
import { publishFile, testAsset, type Publisher } from '../test-support/ffmpeg.js';
import { newestSegment } from '../test-support/newest-segment.js';
import { tcpConnect } from '../test-support/tcp-connect.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';

interface Readiness {
  status: number;
  body: { status: string; checks: Record<string, boolean> };
}

async function readiness(platform: Platform): Promise<Readiness> {
  const response = await fetch(`${platform.originUrl}/ready`);
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

function rtmpPortOf(platform: Platform): number {
  return Number(new URL(platform.rtmpUrl).port);
}

async function goLive(platform: Platform, stream: string): Promise<{ publisher: Publisher; segment: string }> {
  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${stream}`, { loops: -1 });
  const segment = await waitFor(`${stream} to play through the edge`, () => newestSegment(platform.edgeUrl, stream), { timeoutMs: 60_000, intervalMs: 250 });
  return { publisher, segment };
}

t.test('SIGTERM: no new publishers, the live one goes on until it stops, then the origin exits', async (t) => {
  const platform = await startPlatform({ DRAIN_TIMEOUT_SECONDS: '600' });
  t.teardown(() => platform.stop());
  const stream = 'drain-test';
  const { publisher, segment: beforeDrain } = await goLive(platform, stream);
  t.teardown(() => publisher.stop());
  t.equal((await readiness(platform)).status, 200, 'ready before the signal');

  const exit = platform.sendSignal('origin', 'SIGTERM');

  const draining = await waitFor('the origin to report draining', async () => {
    const ready = await readiness(platform);
    return ready.status === 503 ? ready : undefined;
  });
  t.equal(draining.body.status, 'draining', '/ready answers 503 draining: a load balancer sends new publishers elsewhere');
  t.equal(await tcpConnect(rtmpPortOf(platform)), 'ECONNREFUSED', 'a new RTMP connection is refused');

  const afterDrain = await waitFor(
    'a segment cut after the signal, through the edge',
    async () => {
      const newest = await newestSegment(platform.edgeUrl, stream);
      return newest !== undefined && newest !== beforeDrain ? newest : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  t.not(afterDrain, beforeDrain, `the live stream goes on while draining (${beforeDrain} -> ${afterDrain})`);
  t.equal(publisher.child.exitCode, null, 'the publisher is still connected');

  await publisher.stop();
  t.equal(await exit, 0, 'once its publisher stopped, the origin exits cleanly');
  const lines = platform.logEntries('origin').map((entry) => entry.msg);
  t.ok(lines.includes('draining: taking no new publishers'), 'it logged the drain');
  t.ok(lines.includes('drained: no publisher left'), 'and its end');
});

t.test('past DRAIN_TIMEOUT_SECONDS the publishers left are cut and the origin exits', async (t) => {
  const platform = await startPlatform({ DRAIN_TIMEOUT_SECONDS: '1' });
  t.teardown(() => platform.stop());
  const { publisher } = await goLive(platform, 'overstaying');
  t.teardown(() => publisher.stop());

  t.equal(await platform.sendSignal('origin', 'SIGTERM'), 0, 'the origin exits cleanly after the drain timeout');
  t.not(await publisher.exited, null, 'the publisher was cut (ffmpeg ended)');
  const lines = platform.logEntries('origin').map((entry) => entry.msg);
  t.ok(lines.includes('drain timed out: cutting the publishers left (they reconnect elsewhere)'), 'it logged the cut');
});

t.test('SIGINT stops at once, live publishers or not', async (t) => {
  const platform = await startPlatform({ DRAIN_TIMEOUT_SECONDS: '600' });
  t.teardown(() => platform.stop());
  const { publisher } = await goLive(platform, 'interrupted');
  t.teardown(() => publisher.stop());

  t.equal(await platform.sendSignal('origin', 'SIGINT'), 0, 'the origin exits cleanly without waiting for its publisher');
  const lines = platform.logEntries('origin').map((entry) => entry.msg);
  t.notOk(lines.includes('draining: taking no new publishers'), 'no drain');
});

t.test('a second signal while draining stops at once', async (t) => {
  const platform = await startPlatform({ DRAIN_TIMEOUT_SECONDS: '600' });
  t.teardown(() => platform.stop());
  const { publisher } = await goLive(platform, 'impatient');
  t.teardown(() => publisher.stop());

  const exit = platform.sendSignal('origin', 'SIGTERM');
  await waitFor('the origin to report draining', async () => (await readiness(platform)).body.status === 'draining');
  void platform.sendSignal('origin', 'SIGINT');
  t.equal(await exit, 0, 'the origin exits cleanly without waiting for its publisher');
  t.not(await publisher.exited, null, 'the publisher was cut (ffmpeg ended)');
  const lines = platform.logEntries('origin').map((entry) => entry.msg);
  t.ok(lines.includes('second signal while draining: stopping now'), 'it logged why');
});
