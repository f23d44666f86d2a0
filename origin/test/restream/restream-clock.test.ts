import t from 'tap';
import { RestreamClock, SOURCE_SWITCH_GAP_MS } from '../../src/restream/restream-clock.js';

t.test('a connection starts at 0 with its first frame; older frames are dropped', async (t) => {
  const clock = new RestreamClock();
  clock.startConnection();
  const key = clock.continuous('video', 5000);
  t.equal(clock.connectionTime('video', key), 0);
  t.equal(clock.connectionTime('audio', clock.continuous('audio', 4990)), undefined, 'audio from before the keyframe');
  t.equal(clock.connectionTime('audio', clock.continuous('audio', 5010)), 10);
  t.equal(clock.connectionTime('video', clock.continuous('video', 5033)), 33);
  t.equal(clock.connectionNow(), 33);
});

t.test('a restarted source continues just after the last frame', async (t) => {
  const clock = new RestreamClock();
  clock.startConnection();
  for (const ms of [1000, 1033, 1066]) clock.connectionTime('video', clock.continuous('video', ms));
  clock.sourceRestarted();
  const first = clock.connectionTime('video', clock.continuous('video', 0));
  t.equal(first, 66 + SOURCE_SWITCH_GAP_MS);
  t.equal(clock.connectionTime('video', clock.continuous('video', 33)), 66 + SOURCE_SWITCH_GAP_MS + 33);
});

t.test('a timestamp reset without notice is caught as a jump', async (t) => {
  const clock = new RestreamClock();
  clock.startConnection();
  for (const ms of [90_000, 90_033]) clock.connectionTime('video', clock.continuous('video', ms));
  t.equal(clock.connectionTime('video', clock.continuous('video', 0)), 33 + SOURCE_SWITCH_GAP_MS, 'encoder restarted at 0');
});

t.test('the 32-bit wrap of RTMP time is not a restart', async (t) => {
  const clock = new RestreamClock();
  clock.startConnection();
  clock.connectionTime('video', clock.continuous('video', 2 ** 32 - 10));
  t.equal(clock.connectionTime('video', clock.continuous('video', 23)), 33);
});

t.test('small steps back within a track are held, never sent backwards', async (t) => {
  const clock = new RestreamClock();
  clock.startConnection();
  clock.connectionTime('audio', clock.continuous('audio', 100));
  t.equal(clock.connectionTime('audio', clock.continuous('audio', 200)), 100);
  t.equal(clock.connectionTime('audio', clock.continuous('audio', 150)), 100, 'held at the previous time');
});

t.test('each new connection starts at 0 again', async (t) => {
  const clock = new RestreamClock();
  clock.startConnection();
  clock.connectionTime('video', clock.continuous('video', 0));
  clock.connectionTime('video', clock.continuous('video', 60_000));
  clock.startConnection();
  t.equal(clock.connectionTime('video', clock.continuous('video', 61_000)), 0);
});
