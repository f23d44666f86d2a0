import t from 'tap';
import { waitFor } from '../../../test-support/wait-for.js';
import { FallbackLoop } from '../../src/fallback/fallback-loop.js';
import { FallbackPlayer } from '../../src/fallback/fallback-player.js';
import type { FlvTag } from '../../src/ingest/flv-tag-source.js';
import { avStream } from '../media/fixtures/flv-tags.js';

/**
 * The player runs on a clock the tests move (its `now` option) and on real timers. The longest
 * timer it sets is the largest gap between two tags of the clip (at least 1 ms); a timer set after
 * it with a longer delay fires after it (Node runs timers in expiry order, however loaded the
 * machine), so such a timer proves the player had its chance to act.
 */
function longestWaitMs(clip: FlvTag[]): number {
  const loop = new FallbackLoop(clip);
  let longest = 1;
  let previous = loop.nextTimeMs;
  for (let i = 0; i < 3 * clip.length; i++) {
    loop.next();
    longest = Math.max(longest, loop.nextTimeMs - previous);
    previous = loop.nextTimeMs;
  }
  return Math.ceil(longest) + 1;
}

const afterAnyPlayerTimer = (clip: FlvTag[]) => new Promise((resolve) => setTimeout(resolve, longestWaitMs(clip) + 1));

t.test('plays each tag when its time comes, in a loop, until stopped', async (t) => {
  const clip = avStream(0.5);
  let now = 0;
  const received: Array<{ tag: FlvTag; at: number }> = [];
  const player = new FallbackPlayer({
    loop: new FallbackLoop(clip),
    sink: (tag) => received.push({ tag, at: now }),
    onError: (error) => t.fail(String(error)),
    now: () => now,
  });
  player.start();
  t.ok(player.playing);
  t.same(received.map(({ tag }) => tag.type), [9, 8, 9, 8], 'the headers and the first frames go out at once');

  // The clock moves in steps; before each next step every tag due by then has gone out.
  const STEP_MS = 40;
  const reference = new FallbackLoop(clip);
  const expected: Array<{ type: number; timestampMs: number; at: number }> = [];
  while (reference.nextTimeMs <= 0) expected.push({ ...reference.next(), at: 0 });
  for (now = STEP_MS; now <= 1200; now += STEP_MS) {
    while (reference.nextTimeMs <= now) expected.push({ ...reference.next(), at: now });
    await waitFor(`the tags due by ${now} ms`, () => received.length >= expected.length);
  }
  t.same(
    received.map(({ tag, at }) => ({ type: tag.type, timestampMs: tag.timestampMs, at })),
    expected.map(({ type, timestampMs, at }) => ({ type, timestampMs, at })),
    'each tag in order, at the first step its time had come: none before its time, none a step late',
  );
  const media = received.filter(({ tag }) => tag.body[1] !== 0);
  t.ok(media.at(-1)!.tag.timestampMs > 1000, 'more than two loops of the 0.5 s clip');

  player.stop();
  t.notOk(player.playing);
  const count = received.length;
  now += 10_000;
  await afterAnyPlayerTimer(clip);
  t.equal(received.length, count, 'nothing after stop(), though much came due');
});

t.test('a sink that throws stops the player and is reported', async (t) => {
  const clip = avStream(1);
  const errors: unknown[] = [];
  let calls = 0;
  let now = 0;
  const player = new FallbackPlayer({
    loop: new FallbackLoop(clip),
    sink: () => {
      calls += 1;
      if (calls === 3) throw new Error('boom');
    },
    onError: (error) => errors.push(error),
    now: () => now,
  });
  player.start();
  t.equal(calls, 3);
  t.equal(errors.length, 1);
  t.notOk(player.playing);
  now += 500;
  await afterAnyPlayerTimer(clip);
  t.equal(calls, 3, 'no timer left behind, though much came due');
});

t.test('after a long stall it goes on from where it was, without a burst', async (t) => {
  let now = 0;
  const times: number[] = [];
  const player = new FallbackPlayer({
    loop: new FallbackLoop(avStream(10)),
    sink: (tag) => times.push(tag.timestampMs),
    onError: (error) => t.fail(String(error)),
    now: () => now,
  });
  player.start();
  t.same(times, [0, 0, 0, 0], 'the headers and the first frames');
  now = 5000;
  // The first run after the stall decides: it would send the whole backlog at once.
  await waitFor('the first tag after the stall', () => times.length > 4);
  player.stop();
  const sent = Math.max(...times);
  t.ok(sent > 0 && sent < 100, `the 5 s stall was skipped, not caught up (up to ${sent} ms sent)`);
});
