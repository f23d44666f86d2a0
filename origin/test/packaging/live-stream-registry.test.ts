/**
 * The registry with its real collaborators inside the process (HLS folder, restream coordinator,
 * fallback player) and a real RTMP receiver as the target; publishers are fed from a clip.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import HLS from 'hls-parser';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { startRtmpReceiver } from '../../../test-support/rtmp-receiver.js';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { waitFor } from '../../../test-support/wait-for.js';
import type { RestreamConfig } from '../../src/control/api-restream-client.js';
import { RestreamCoordinator } from '../../src/control/restream-coordinator.js';
import { FallbackLoop } from '../../src/fallback/fallback-loop.js';
import { HlsDirectoryWriter } from '../../src/hls/hls-directory-writer.js';
import type { FlvTag, IncomingPublish } from '../../src/ingest/flv-tag-source.js';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { LiveStreamRegistry } from '../../src/packaging/live-stream-registry.js';
import { SegmentDelayStats } from '../../src/packaging/segment-delay-stats.js';
import { readSegmentSettings } from '../../src/packaging/segment-settings.js';
import { Recorder } from '../../src/recording/recorder.js';
import { listRecordings, readRecordingInfo, readRecordingPlaylist } from '../../src/recording/recording-files.js';
import { DEFAULT_RESTREAM_SETTINGS } from '../../src/restream/index.js';
import { feedFlv } from '../restream/fixtures/flv-feed.js';
import { LOCAL_TARGETS } from '../restream/fixtures/local-targets.js';

const STREAM = 'abc12345';
const logger = pino({ level: 'silent' });

function fakePublish(id: string): IncomingPublish & { disconnected: boolean } {
  return {
    id,
    app: 'stream',
    requestedName: 'secret-key',
    remoteAddress: '127.0.0.1',
    disconnected: false,
    setSink: () => undefined,
    onClose: () => undefined,
    disconnect() {
      this.disconnected = true;
    },
  };
}

async function clipTags(): Promise<FlvTag[]> {
  return [...readFlvTags(new Uint8Array(await readFile(testAsset('h264-aac.flv'))))];
}

/**
 * Resolves after any timer a fallback player of `clip` set before now: a player waits at most the
 * largest gap between two tags, and Node runs timers in expiry order however loaded the machine.
 */
function afterAnyPlayerTimer(clip: FlvTag[]): Promise<void> {
  const loop = new FallbackLoop(clip);
  let longest = 1;
  for (let i = 0, previous = loop.nextTimeMs; i < 3 * clip.length; i += 1) {
    loop.next();
    longest = Math.max(longest, loop.nextTimeMs - previous);
    previous = loop.nextTimeMs;
  }
  return new Promise((resolve) => setTimeout(resolve, Math.ceil(longest) + 2));
}

/**
 * The registry with real collaborators; the end of the fallback window runs when the test moves
 * `timers` (never by itself), and fallback loads wait for `releaseLoads()` when `holdLoads`.
 */
async function setup(
  t: Test,
  options: { windowMs: number; fallback: boolean; targetPort?: number; holdLoads?: boolean; recorder?: Recorder },
) {
  const hlsPath = t.testdir();
  const hls = new HlsDirectoryWriter({ hlsPath, targetDurationSeconds: 2, onBackgroundError: (error) => t.fail(error.message) });
  t.teardown(() => hls.close());
  const config: RestreamConfig = {
    version: 1,
    targets: options.targetPort ? [{ id: 't1', url: `rtmp://127.0.0.1:${options.targetPort}/live`, streamKey: 'k', enabled: true }] : [],
    fallback: options.fallback ? { version: 1 } : null,
  };
  const restream = new RestreamCoordinator({
    client: { config: async () => config, reportStatus: async () => undefined },
    settings: { ...DEFAULT_RESTREAM_SETTINGS, ...LOCAL_TARGETS },
    reconnectWindowMs: options.windowMs,
    statusIntervalMs: 1000,
    logger,
  });
  t.teardown(() => restream.stop());
  const fallbackTags = await clipTags();
  const loads: string[] = [];
  const loading: Promise<unknown>[] = [];
  let releaseLoads: () => void = () => undefined;
  const loadsHeld = options.holdLoads ? new Promise<void>((resolve) => (releaseLoads = resolve)) : Promise.resolve();
  /** Fallback tags the registry handed on, counted on their way to the restream coordinator. */
  const fallbackSent = { count: 0 };
  const timers = new ManualTimers();
  const registry = new LiveStreamRegistry({
    hls,
    segments: readSegmentSettings({}),
    logger,
    delays: new SegmentDelayStats(),
    recorder: options.recorder,
    restream: {
      publishStarted: (stream) => restream.publishStarted(stream),
      publishEnded: (stream) => restream.publishEnded(stream),
      fallbackStarted: (stream) => {
        const sink = restream.fallbackStarted(stream);
        return (tag) => {
          fallbackSent.count += 1;
          sink?.(tag);
        };
      },
    },
    fallback: {
      tags: (stream) => {
        const load = (async () => {
          const ref = restream.fallbackOf(stream);
          if (ref) loads.push(stream);
          await loadsHeld;
          return ref ? fallbackTags : undefined;
        })();
        loading.push(load);
        return load;
      },
      windowMs: options.windowMs,
      schedule: timers.schedule,
    },
  });
  t.teardown(() => registry.closeAll());
  /** The playlist as written; a missing or unreadable playlist is an error, never "no ENDLIST". */
  const playlist = async () => HLS.parse(await readFile(join(hlsPath, STREAM, 'index.m3u8'), 'utf8')) as HLS.types.MediaPlaylist;
  return { registry, restream, playlist, loads, loading, releaseLoads, timers, fallbackSent, fallbackTags };
}

/** Opens a publish of STREAM and feeds it `mediaMs` of the clip, twice as fast as real time. */
function publishFor(registry: LiveStreamRegistry, id: string, mediaMs: number) {
  const opened = registry.open({ streamName: STREAM, keyGeneration: 1 }, fakePublish(id));
  if ('refused' in opened) throw new Error(opened.refused);
  const feed = feedFlv(opened.sink, { speed: 2, mediaMs });
  return {
    done: feed.done.then(() => opened.end()),
  };
}

/** A publisher feeding `registry` in real time, once its first segment is in the playlist. */
async function liveWithSegment(t: Test, registry: LiveStreamRegistry, playlist: () => Promise<HLS.types.MediaPlaylist>) {
  const publish = fakePublish('live');
  const opened = registry.open({ streamName: STREAM, keyGeneration: 1 }, publish);
  if ('refused' in opened) throw new Error(opened.refused);
  const feed = feedFlv(opened.sink, { speed: 2, mediaMs: 60_000 });
  t.teardown(() => feed.stop());
  await waitFor('a live segment', async () => (await playlist()).segments.length > 0, { timeoutMs: 60_000 });
  return { publish, opened };
}

t.test('the fallback stands in while the publisher is away, twice; then the window ends the stream', async (t) => {
  const receiver = await startRtmpReceiver();
  t.teardown(() => receiver.close());
  const windowMs = 3000;
  const { registry, playlist, loads, timers } = await setup(t, { windowMs, fallback: true, targetPort: receiver.port });
  const videoAtTarget = () => receiver.publishes[0]?.tags.filter((tag) => tag.type === 9).length ?? 0;

  for (let round = 1; round <= 3; round += 1) {
    await publishFor(registry, `session-${round}`, 4000).done;
    t.equal(registry.size, 0, `round ${round}: no publisher once it left`);
    t.equal(registry.fallbacks, 1, `round ${round}: the fallback plays`);
    t.same(registry.publishes(), [], 'the heartbeat reports no publish for a fallback');
    t.same(timers.pending, [windowMs], 'the window runs from the departure');
    const atLeave = videoAtTarget();
    await waitFor(`round ${round}: fallback video at the target`, () => videoAtTarget() > atLeave + 30, { timeoutMs: 60_000 });
    t.pass(`round ${round}: the target keeps receiving video while the publisher is away`);
    t.notOk((await playlist()).endlist, `round ${round}: no ENDLIST while the fallback plays`);
    if (round < 3) {
      const refused = registry.open({ streamName: STREAM, keyGeneration: 1 }, fakePublish('intruder'));
      t.notOk('refused' in refused, 'a publisher is accepted while the fallback plays');
      t.same(timers.pending, [], 'its return cancels the window');
      if (!('refused' in refused)) refused.end();
      t.equal(registry.fallbacks, 1, 'a publish that ends at once brings the fallback back');
      t.same(timers.pending, [windowMs], 'with a window of its own');
    }
  }
  t.equal(loads.length, 5, 'the fallback is loaded at each departure (three publishers, two that left at once)');

  timers.advance(windowMs - 1);
  t.equal(registry.fallbacks, 1, 'the fallback plays until the window is over');
  timers.advance(1);
  t.equal(registry.fallbacks, 0, 'then it stops');
  await waitFor('the ended playlist', async () => (await playlist()).endlist, { timeoutMs: 60_000 });
  await waitFor('the target publish to end', () => receiver.publishes[0]?.closed, { timeoutMs: 60_000 });

  const list = await playlist();
  const discontinuities = list.segments.filter((segment) => segment.discontinuity).length;
  // live, fallback, live, fallback, live, fallback: the publishes without media add none.
  t.equal(discontinuities, 5, `EXT-X-DISCONTINUITY at each switch (${list.segments.length} segments)`);
  t.equal(receiver.publishes.length, 1, 'one publish session at the target throughout');
  for (const type of [8, 9]) {
    const times = receiver.publishes[0]!.tags.filter((tag) => tag.type === type && tag.body[1] !== 0).map((tag) => tag.timestampMs);
    t.ok(times.every((time, i) => i === 0 || time >= times[i - 1]!), `track ${type}: timestamps only go forward (${times.length} frames, last ${times.at(-1)} ms)`);
  }
});

t.test("recorded sessions: the publishers' segments are kept, the fallback's are not; a return within the timeout continues the video", async (t) => {
  const recordingsPath = await mkdtemp(join(os.tmpdir(), 'livestack-registry-recordings-'));
  t.teardown(() => rm(recordingsPath, { recursive: true, force: true }));
  const recordingTimers = new ManualTimers();
  const recorder = new Recorder({ recordingsPath, targetDurationSeconds: 2, logger, schedule: recordingTimers.schedule });
  const { registry, playlist } = await setup(t, { windowMs: 600_000, fallback: true, recorder });
  const grant = { streamName: STREAM, keyGeneration: 1, recording: { mode: 'automatic' as const, timeout_seconds: 30 } };
  const publish = async (id: string) => {
    const opened = registry.open(grant, fakePublish(id));
    if ('refused' in opened) throw new Error(opened.refused);
    await feedFlv(opened.sink, { speed: 2, mediaMs: 4000 }).done;
    opened.end();
  };

  await publish('first');
  await waitFor('a fallback segment in the live playlist', async () => {
    const segments = (await playlist()).segments;
    return segments.findIndex((segment) => segment.discontinuity) < segments.length - 1 && segments.some((segment) => segment.discontinuity);
  }, { timeoutMs: 60_000 });
  t.same(recordingTimers.pending, [30_000], 'the recording waits timeout_seconds for its publisher');
  await publish('back');
  await waitFor('the second session to leave', () => recordingTimers.pending.length === 1, { timeoutMs: 60_000 });
  recordingTimers.advance(30_000);
  await recorder.closeAll();

  const recordings = await listRecordings(recordingsPath);
  t.equal(recordings.length, 1, 'one video for both sessions');
  const video = await readRecordingPlaylist(recordings[0]!.folder);
  const info = await readRecordingInfo(recordings[0]!.folder);
  t.equal(video?.ended, true);
  t.equal(video?.segments.filter((segment) => segment.discontinuity).length, 1, 'one discontinuity: where the publisher came back');
  const live = await playlist();
  t.ok(live.segments.filter((segment) => segment.discontinuity).length >= 2, 'the live playlist had the fallback in between');
  // 8 s published; the fallback's segments would add seconds more.
  t.ok(info && info.duration_s >= 6 && info.duration_s <= 9, `the publishers' media only (${info?.duration_s} s of 8 s published)`);
  t.match(info, { stream: STREAM, width: 640, height: 360 }, "the clip's video size");
});

t.test('one publisher per stream name, fallback or not', async (t) => {
  const { registry } = await setup(t, { windowMs: 60_000, fallback: true });
  const first = registry.open({ streamName: STREAM, keyGeneration: 1 }, fakePublish('one'));
  t.notOk('refused' in first);
  const second = registry.open({ streamName: STREAM, keyGeneration: 1 }, fakePublish('two'));
  t.match(second, { refused: /already live/ });
});

t.test('without a fallback video the playlist ends at once, not at the end of the window', async (t) => {
  const { registry, playlist, loads, timers } = await setup(t, { windowMs: 60_000, fallback: false });
  await publishFor(registry, 'only', 2500).done;
  await waitFor('ENDLIST', async () => (await playlist()).endlist, { timeoutMs: 60_000 });
  t.same(timers.pending, [], 'the window was cancelled, not run');
  t.equal(registry.fallbacks, 0);
  t.same(loads, []);
});

t.test('a publisher back while the fallback is still loading: the fallback never starts', async (t) => {
  const { registry, playlist, loads, loading, releaseLoads } = await setup(t, { windowMs: 60_000, fallback: true, holdLoads: true });
  await publishFor(registry, 'first', 2500).done;
  t.equal(registry.fallbacks, 1, 'the fallback is on its way');
  const second = publishFor(registry, 'second', 2500);
  t.equal(registry.fallbacks, 0);
  releaseLoads();
  // The registry's handler of the load was attached before this await: it has run after it.
  await Promise.all(loading);
  t.equal(loads.length, 1);
  t.equal(registry.fallbacks, 0, 'the late load is dropped');
  t.equal(registry.size, 1);
  await second.done;
  await registry.closeAll();
  const list = await playlist();
  t.same(list.segments.map((segment) => segment.discontinuity === true), [false, false, true, false], 'the second publisher follows the first after one discontinuity, no fallback between');
});

t.test('a shutdown ends live streams without starting their fallback', async (t) => {
  const { registry, playlist, loads } = await setup(t, { windowMs: 60_000, fallback: true });
  const opened = registry.open({ streamName: STREAM, keyGeneration: 1 }, fakePublish('live'));
  if ('refused' in opened) throw new Error(opened.refused);
  const feed = feedFlv(opened.sink, { speed: 2, mediaMs: 60_000 });
  t.teardown(() => feed.stop());
  await waitFor('a live segment', async () => (await playlist()).segments.length > 0, { timeoutMs: 60_000 });
  await registry.closeAll();
  t.same(loads, [], 'no fallback');
  t.ok((await playlist()).endlist, 'ENDLIST once closeAll resolves');
  t.equal(registry.size, 0);
  opened.end();
  t.equal(registry.fallbacks, 0, 'the publish closing later changes nothing');
});

t.test('a shutdown stops the fallback and ends the playlist', async (t) => {
  const { registry, playlist, fallbackSent, fallbackTags, timers } = await setup(t, { windowMs: 60_000, fallback: true });
  await publishFor(registry, 'only', 2500).done;
  await waitFor('a fallback segment', async () => (await playlist()).segments.some((segment) => segment.discontinuity), { timeoutMs: 60_000 });
  t.equal(registry.fallbacks, 1);
  await registry.closeAll();
  t.equal(registry.fallbacks, 0);
  t.same(timers.pending, [], 'the window is cancelled');
  const ended = await playlist();
  t.ok(ended.endlist, 'ENDLIST');
  const sent = fallbackSent.count;
  await afterAnyPlayerTimer(fallbackTags);
  t.equal(fallbackSent.count, sent, 'the fallback player sends nothing more');
  t.same(await playlist(), ended, 'nothing is written after the shutdown');
  t.match(registry.open({ streamName: STREAM, keyGeneration: 1 }, fakePublish('late')), { refused: /shutting down/ });
});

t.test('a deleted stream with a publisher ends for good: publisher cut, no fallback, ENDLIST', async (t) => {
  const { registry, playlist, loads, timers } = await setup(t, { windowMs: 60_000, fallback: true });
  const { publish, opened } = await liveWithSegment(t, registry, playlist);
  registry.endForGood([STREAM, 'otherstr']);
  t.ok(publish.disconnected, 'the publisher is cut');
  t.equal(registry.size, 0);
  opened.end();
  t.equal(registry.fallbacks, 0, 'the publish closing later starts no fallback');
  t.same(loads, []);
  t.same(timers.pending, [], 'no reconnect window');
  await waitFor('ENDLIST', async () => (await playlist()).endlist, { timeoutMs: 60_000 });
  t.same(registry.waitingStreams(), []);
});

t.test("a deleted stream's recordings close at once, live or waiting for their publisher", async (t) => {
  const recordingsPath = await mkdtemp(join(os.tmpdir(), 'livestack-registry-recordings-'));
  t.teardown(() => rm(recordingsPath, { recursive: true, force: true }));
  const recordingTimers = new ManualTimers();
  const recorder = new Recorder({ recordingsPath, targetDurationSeconds: 2, logger, schedule: recordingTimers.schedule });
  const { registry } = await setup(t, { windowMs: 600_000, fallback: true, recorder });
  const recording = { mode: 'automatic' as const, timeout_seconds: 600 };
  const closedVideos = async () => {
    let closed = 0;
    for (const { folder } of await listRecordings(recordingsPath)) if ((await readRecordingPlaylist(folder))?.ended) closed += 1;
    return closed;
  };
  for (const [name, leaveFirst] of [[STREAM, false], ['waiting1', true]] as const) {
    const opened = registry.open({ streamName: name, keyGeneration: 1, recording }, fakePublish(`session-${name}`));
    if ('refused' in opened) throw new Error(opened.refused);
    await feedFlv(opened.sink, { speed: 2, mediaMs: 4000 }).done;
    if (leaveFirst) {
      opened.end();
      await waitFor('the recording to wait for its publisher', () => recordingTimers.pending.length === 1, { timeoutMs: 60_000 });
    }
    const before = await closedVideos();
    registry.endForGood([name]);
    await waitFor(`the recording of ${name} to close`, async () => (await closedVideos()) === before + 1, { timeoutMs: 60_000 });
    t.same(recordingTimers.pending, [], `${leaveFirst ? 'waiting' : 'live'}: no wait for a publisher of a deleted stream`);
  }
});

t.test('a deleted stream whose fallback plays: the fallback stops and the playlist ends', async (t) => {
  const { registry, playlist, fallbackSent, fallbackTags, timers } = await setup(t, { windowMs: 60_000, fallback: true });
  await publishFor(registry, 'only', 2500).done;
  await waitFor('a fallback segment', async () => (await playlist()).segments.some((segment) => segment.discontinuity), { timeoutMs: 60_000 });
  t.same(registry.waitingStreams(), [STREAM], 'reported to the API as waiting for its publisher');
  registry.endForGood([STREAM]);
  t.equal(registry.fallbacks, 0);
  t.same(timers.pending, [], 'the window is cancelled');
  await waitFor('ENDLIST', async () => (await playlist()).endlist, { timeoutMs: 60_000 });
  const ended = await playlist();
  const sent = fallbackSent.count;
  await afterAnyPlayerTimer(fallbackTags);
  t.equal(fallbackSent.count, sent, 'the fallback player sends nothing more');
  t.same(await playlist(), ended, 'nothing is written after the end');
  t.same(registry.waitingStreams(), []);
});

t.test('a waiting stream handed over to another origin: the fallback stops, the playlist stays without ENDLIST', async (t) => {
  const { registry, playlist, fallbackSent, fallbackTags, timers } = await setup(t, { windowMs: 60_000, fallback: true });
  await publishFor(registry, 'only', 2500).done;
  await waitFor('a fallback segment', async () => (await playlist()).segments.some((segment) => segment.discontinuity), { timeoutMs: 60_000 });
  registry.handOver([STREAM, 'otherstr']);
  t.equal(registry.fallbacks, 0);
  t.same(timers.pending, [], 'the window is cancelled');
  t.same(registry.waitingStreams(), [], 'no longer reported as waiting');
  const left = await playlist();
  const sent = fallbackSent.count;
  await afterAnyPlayerTimer(fallbackTags);
  t.equal(fallbackSent.count, sent, 'the fallback player sends nothing more');
  t.same(await playlist(), left, 'nothing more is written');
  t.notOk(left.endlist, 'no ENDLIST: players keep polling while the edges move to the new origin');

  const back = publishFor(registry, 'back-here', 2500);
  await waitFor('a segment of the publisher back here', async () => (await playlist()).segments.length > left.segments.length, {
    timeoutMs: 60_000,
  });
  const resumed = await playlist();
  t.equal(
    resumed.segments[left.segments.length]?.mediaSequenceNumber,
    (left.segments.at(-1)?.mediaSequenceNumber ?? 0) + 1,
    'a publisher back on this origin later continues the media sequence',
  );
  t.ok(resumed.segments[left.segments.length]?.discontinuity, 'after a discontinuity');
  await back.done;
});

t.test('a stream whose publisher is live here is not handed over', async (t) => {
  const { registry, playlist } = await setup(t, { windowMs: 60_000, fallback: true });
  const { publish, opened } = await liveWithSegment(t, registry, playlist);
  registry.handOver([STREAM]);
  t.notOk(publish.disconnected);
  t.equal(registry.size, 1);
  const before = (await playlist()).segments.length;
  await waitFor('the stream going on', async () => (await playlist()).segments.length > before, { timeoutMs: 60_000 });
  t.pass('the live stream goes on');
});
