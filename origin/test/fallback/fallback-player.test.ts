import t from 'tap';
import { FallbackLoop } from '../../src/fallback/fallback-loop.js';
import { FallbackPlayer } from '../../src/fallback/fallback-player.js';
import type { FlvTag } from '../../src/ingest/flv-tag-source.js';
import { avStream } from '../media/fixtures/flv-tags.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('plays in real time, in a loop, until stopped', async (t) => {
  const received: Array<{ tag: FlvTag; at: number }> = [];
  const startedAt = performance.now();
  const player = new FallbackPlayer({
    loop: new FallbackLoop(avStream(0.5)),
    sink: (tag) => received.push({ tag, at: performance.now() - startedAt }),
    onError: (error) => t.fail(String(error)),
  });
  player.start();
  t.ok(player.playing);
  t.same(received.map(({ tag }) => tag.type), [9, 8, 9, 8], 'the headers and the first frames go out at once');
  await sleep(1200);
  player.stop();
  const count = received.length;
  await sleep(100);
  t.equal(received.length, count, 'nothing after stop()');
  t.notOk(player.playing);

  const media = received.filter(({ tag }) => tag.body[1] !== 0);
  const last = media[media.length - 1]!;
  t.ok(last.tag.timestampMs > 1000, `more than two loops of the 0.5 s clip (${last.tag.timestampMs} ms)`);
  const early = media.filter(({ tag, at }) => at < tag.timestampMs - 1);
  t.equal(early.length, 0, 'no tag before its time');
  const late = Math.max(...media.map(({ tag, at }) => at - tag.timestampMs));
  t.ok(late < 50, `none much after it either (worst ${late.toFixed(1)} ms)`);
});

t.test('a sink that throws stops the player and is reported', async (t) => {
  const errors: unknown[] = [];
  let calls = 0;
  const player = new FallbackPlayer({
    loop: new FallbackLoop(avStream(1)),
    sink: () => {
      calls += 1;
      if (calls === 3) throw new Error('boom');
    },
    onError: (error) => errors.push(error),
  });
  player.start();
  t.equal(calls, 3);
  t.equal(errors.length, 1);
  t.notOk(player.playing);
  await sleep(100);
  t.equal(calls, 3, 'no timer left behind');
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
  now = 5000;
  await sleep(60);
  player.stop();
  const sent = Math.max(...times);
  t.ok(sent > 0 && sent < 100, `the 5 s stall was skipped, not caught up (up to ${sent} ms sent)`);
});
