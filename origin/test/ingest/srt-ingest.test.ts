/**
 * SRT ingest inside the origin, with real ffmpeg as the caller and the API and the packager stood
 * in for: what the authorizer and the target say decides the handshake, an allowed caller's MPEG-TS
 * reaches the target as FLV tags, and however a publish ends (the caller leaves, the origin cuts
 * it) it ends once, with the SRT connection.
 */
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { IncomingPublish } from '../../src/ingest/flv-tag-source.js';
import type { PublishDecision } from '../../src/ingest/publish-authorizer.js';
import type { PublishTarget } from '../../src/ingest/publish-gate.js';
import type { PublishRefusal } from '../../src/ingest/publish-refusal.js';
import { SrtIngest } from '../../src/ingest/srt-ingest.js';
import { readSrtIngestSettings } from '../../src/ingest/srt-ingest-settings.js';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { sendOverSrt } from '../../../test-support/srt-caller.js';
import { waitFor } from '../../../test-support/wait-for.js';

const KEY = 'publish/abcd1234/AbCdEfGhIjKlMnOpQrStUvWx';
const ALLOWED: PublishDecision = { allowed: true, streamName: 'abcd1234', keyGeneration: 2 };

async function startIngest(t: Test, decision: PublishDecision, targetRefusal?: PublishRefusal) {
  const asked: string[] = [];
  const ended: string[] = [];
  const publishes: IncomingPublish[] = [];
  const tagTypes: number[] = [];
  const target: PublishTarget = {
    open: (grant, publish) => {
      if (targetRefusal) return { refused: 'stood-in refusal', reason: targetRefusal };
      publishes.push(publish);
      return { sink: (tag) => tagTypes.push(tag.type), end: () => ended.push(grant.streamName) };
    },
  };
  const ingest = new SrtIngest({
    settings: { ...readSrtIngestSettings({}), host: '127.0.0.1', port: 0 },
    authorizer: { authorize: async (request) => (asked.push(request.name), decision) },
    target,
    logger: pino({ level: 'silent' }),
  });
  const port = await ingest.listen();
  t.teardown(() => ingest.close());
  const publish = (streamId = KEY, { loops = 0 } = {}) => {
    const caller = sendOverSrt(testAsset('h264-aac.flv'), `srt://127.0.0.1:${port}?streamid=${streamId}&latency=200000`, { loops });
    t.teardown(() => caller.stop());
    return caller;
  };
  return { ingest, asked, ended, publishes, tagTypes, publish };
}

t.test("an allowed caller's MPEG-TS reaches the target as H.264 and AAC tags; leaving ends the publish once", async (t) => {
  const { asked, ended, tagTypes, publish, ingest } = await startIngest(t, ALLOWED);
  const caller = publish();
  t.equal(await caller.exited, 0, `ffmpeg sent it all (${caller.stderr})`);
  await waitFor('the publish to end', () => ended.length > 0);
  t.same(asked, [KEY], 'the key (not the whole streamid form) is authorized');
  t.same(ended, ['abcd1234'], 'ended exactly once');
  t.ok(tagTypes.includes(9) && tagTypes.includes(8), 'video and audio tags');
  t.ok(tagTypes.filter((type) => type === 9).length >= 150, 'about 6 s of 30 fps video');
  t.equal(ingest.size, 0);
});

t.test('the origin cutting the publish (a key reset) shuts the SRT connection: ffmpeg stops', async (t) => {
  const { ended, publishes, tagTypes, publish } = await startIngest(t, ALLOWED);
  const caller = publish(KEY, { loops: -1 });
  await waitFor('media to flow', () => tagTypes.length > 10);
  publishes[0]!.disconnect();
  t.not(await caller.exited, 0, 'ffmpeg sees its connection broken');
  t.same(ended, ['abcd1234'], 'ended exactly once');
});

t.test('refusals: the API says no, cannot answer, the stream is live already, the origin drains, the streamid asks to play', async (t) => {
  for (const [what, decision, targetRefusal] of [
    ['denied', { allowed: false, reason: 'unknown key', refusal: 'denied' }, undefined],
    ['API unavailable', { allowed: false, reason: 'timeout', refusal: 'api_unavailable' }, undefined],
    ['already live', ALLOWED, 'already_live'],
  ] as const) {
    const { ended, publishes, publish } = await startIngest(t, decision, targetRefusal);
    const caller = publish();
    t.not(await caller.exited, 0, `${what}: ffmpeg is refused (${caller.stderr.trim().slice(0, 160)})`);
    t.same([ended.length, publishes.length], [0, 0], `${what}: nothing opened or ended`);
  }
  const draining = await startIngest(t, ALLOWED);
  draining.ingest.stopAccepting();
  t.not(await draining.publish().exited, 0, 'draining: refused');
  t.not(await draining.publish(`#!::r=${KEY},m=request`).exited, 0, 'm=request: refused');
  t.same(draining.asked, [], 'the API is not asked for either');
});

t.test('a drain waits for the SRT publishes: whenNoPublishers resolves once the last caller leaves', async (t) => {
  const { ingest, tagTypes, publish } = await startIngest(t, ALLOWED);
  const caller = publish(KEY, { loops: -1 });
  await waitFor('media to flow', () => tagTypes.length > 10);
  ingest.stopAccepting();
  let drained = false;
  const whenDrained = ingest.whenNoPublishers().then(() => (drained = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(drained, false, 'not while the caller publishes');
  await caller.stop();
  await whenDrained;
  t.equal(ingest.size, 0);
  t.equal(await ingest.whenNoPublishers(), undefined, 'at once when none is live');
});
