import { readFile } from 'node:fs/promises';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { RestreamCoordinator } from '../../src/control/restream-coordinator.js';
import type { RestreamConfig } from '../../src/control/api-restream-client.js';
import { readFlvTags } from '../../src/media/index.js';
import { DEFAULT_RESTREAM_SETTINGS, type RestreamStatus, type RestreamTarget } from '../../src/restream/index.js';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { startRtmpReceiver } from '../../../test-support/rtmp-receiver.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { LOCAL_TARGETS } from '../restream/fixtures/local-targets.js';

/** The API's restream routes as an in-process collaborator; the targets are real RTMP servers. */
function fakeClient(targets: RestreamTarget[]) {
  const state = { version: 1, targets, fetches: 0, reports: [] as Array<{ stream: string; statuses: RestreamStatus[] }> };
  const client = {
    config: async (): Promise<RestreamConfig> => {
      state.fetches += 1;
      return { version: state.version, targets: state.targets, fallback: null };
    },
    reportStatus: async (stream: string, statuses: RestreamStatus[]) => {
      state.reports.push({ stream, statuses });
    },
  };
  return { client, state };
}

/** A coordinator with a long reconnect window, stopped when the test ends. */
function startCoordinator(t: Test, client: ReturnType<typeof fakeClient>['client'], statusIntervalMs: number) {
  const coordinator = new RestreamCoordinator({
    client,
    settings: { ...DEFAULT_RESTREAM_SETTINGS, ...LOCAL_TARGETS },
    reconnectWindowMs: 60_000,
    statusIntervalMs,
    logger: pino({ level: 'silent' }),
  });
  t.teardown(() => coordinator.stop());
  return coordinator;
}

async function clipTags() {
  return [...readFlvTags(new Uint8Array(await readFile(testAsset('h264-aac.flv'))))];
}

t.test('pushes a live stream to its targets, follows target changes and reports status', async (t) => {
  const receiver = await startRtmpReceiver({ expectedKey: 'key-a' });
  t.teardown(() => receiver.close());
  const target: RestreamTarget = { id: 't1', url: `rtmp://127.0.0.1:${receiver.port}/app`, streamKey: 'key-a', enabled: true };
  const { client, state } = fakeClient([target]);
  const coordinator = startCoordinator(t, client, 200);

  const push = coordinator.publishStarted('abc12345');
  const tags = await clipTags();
  let sent = 0;
  const feed = setInterval(() => {
    for (let i = 0; i < 10 && sent < tags.length; i += 1) push(tags[sent++]!);
  }, 30);
  t.teardown(() => clearInterval(feed));

  const received = await waitFor('the receiver to get video', () => {
    const publish = receiver.publishes[0];
    return publish && publish.tags.filter((tag) => tag.type === 9).length > 20 ? publish : undefined;
  });
  t.equal(received.name, 'key-a', 'published with the target key');
  await waitFor('a live status', () => state.reports.some((r) => r.statuses.some((s) => s.state === 'live')));
  t.notMatch(JSON.stringify(state.reports), 'key-a', 'reported statuses carry no key');

  state.version = 2;
  state.targets = [{ ...target, enabled: false }];
  coordinator.versionsChanged({ abc12345: 2 });
  await waitFor('the push to stop', () => received.closed, { timeoutMs: 60_000 });
  t.pass('a disabled target stops');
  coordinator.versionsChanged({ abc12345: 2 });
  t.equal(state.fetches, 2, 'an unchanged version is not fetched again');
});

t.test('a publisher that returns within the window keeps the target publish', async (t) => {
  const receiver = await startRtmpReceiver();
  t.teardown(() => receiver.close());
  const { client } = fakeClient([{ id: 't1', url: `rtmp://127.0.0.1:${receiver.port}/app`, streamKey: 'k', enabled: true }]);
  const coordinator = startCoordinator(t, client, 1000);
  const tags = await clipTags();
  for (let round = 0; round < 2; round += 1) {
    const before = receiver.publishes[0]?.tags.length ?? 0;
    const push = coordinator.publishStarted('abc12345');
    for (const tag of tags.slice(0, 120)) {
      push(tag);
      await new Promise((r) => setTimeout(r, 2));
    }
    await waitFor(`media at the target (round ${round + 1})`, () => (receiver.publishes[0]?.tags.length ?? 0) > before + 20);
    coordinator.publishEnded('abc12345');
  }
  t.equal(receiver.publishes.length, 1, 'one publish session at the target across the drop-out');
  const video = receiver.publishes[0]!.tags.filter((tag) => tag.type === 9).map((tag) => tag.timestampMs);
  t.ok(video.every((ts, i) => i === 0 || ts >= video[i - 1]!), 'timestamps only go forward');
});

t.test('the fallback named by the configuration is downloaded at once, once per version', async (t) => {
  const fallback = { version: 4 };
  let config: RestreamConfig = { version: 1, targets: [], fallback };
  let fetches = 0;
  const downloads: Array<[string, number]> = [];
  const coordinator = new RestreamCoordinator({
    client: {
      config: async () => {
        fetches += 1;
        return config;
      },
      reportStatus: async () => undefined,
    },
    settings: { ...DEFAULT_RESTREAM_SETTINGS, ...LOCAL_TARGETS },
    reconnectWindowMs: 100,
    statusIntervalMs: 1000,
    logger: pino({ level: 'silent' }),
    fallbackCache: {
      file: async (stream, ref) => {
        downloads.push([stream, ref.version]);
        return '/cache/file.flv';
      },
    },
  });
  t.teardown(() => coordinator.stop());
  t.equal(coordinator.fallbackOf('abc12345'), undefined, 'unknown before the stream goes live');
  coordinator.publishStarted('abc12345');
  await waitFor('the configuration', () => coordinator.fallbackOf('abc12345'));
  t.same(coordinator.fallbackOf('abc12345'), fallback);
  t.same(downloads, [['abc12345', 4]]);

  config = { version: 2, targets: [], fallback };
  coordinator.versionsChanged({ abc12345: 2 });
  await waitFor('version 2 fetched', () => fetches === 2);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(downloads, [['abc12345', 4]], 'a target change does not download the same video again');

  config = { version: 3, targets: [], fallback: null };
  coordinator.versionsChanged({ abc12345: 3 });
  await waitFor('the fallback to be deleted', () => coordinator.fallbackOf('abc12345') === undefined);

  t.ok(coordinator.fallbackStarted('abc12345'), 'a fallback may feed the pushes while they wait');
  coordinator.publishEnded('abc12345');
  await waitFor('the window to end', () => coordinator.fallbackStarted('abc12345') === undefined, { timeoutMs: 60_000 });
});

t.test('target changes apply while the publisher is away', async (t) => {
  const receiver = await startRtmpReceiver();
  t.teardown(() => receiver.close());
  const target: RestreamTarget = { id: 't1', url: `rtmp://127.0.0.1:${receiver.port}/app`, streamKey: 'k', enabled: true };
  const { client, state } = fakeClient([target]);
  const coordinator = startCoordinator(t, client, 200);
  const push = coordinator.publishStarted('abc12345');
  for (const tag of (await clipTags()).slice(0, 120)) {
    push(tag);
    await new Promise((r) => setTimeout(r, 2));
  }
  const publish = await waitFor('the push', () => receiver.publishes[0]);
  coordinator.publishEnded('abc12345');
  state.version = 2;
  state.targets = [];
  await waitFor('the deleted target to stop', () => publish.closed, { timeoutMs: 60_000 });
  t.pass('a target deleted while the publisher is away stops');
});
