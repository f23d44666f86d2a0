import t from 'tap';
import type { PlaylistState } from '../src/playlist-state.js';
import { StreamLifecycle } from '../src/stream-lifecycle.js';

const LIVE_2S: PlaylistState = { kind: 'live', targetDurationSeconds: 2, durationSeconds: 8 };
const ENDED: PlaylistState = { kind: 'ended', durationSeconds: 9.5 };
const NOT_READY: PlaylistState = { kind: 'not-ready', reason: 'no segment yet' };
// Heartbeat every 5 s; stale after 3 × 2 s = 6 s without a change.
// Ended streams stay playable for their playlist's length.
const timing = { heartbeatMs: 5_000, staleTargetDurations: 3, endedGraceSeconds: undefined };

t.test('the first live manifest registers at once', async (t) => {
  const stream = new StreamLifecycle(timing);
  t.same(stream.manifestWritten(NOT_READY, 1_000, 1_000), { action: 'none' });
  t.equal(stream.phase, 'idle');
  t.same(stream.manifestWritten(LIVE_2S, 2_000, 2_000), { action: 'register' });
  t.equal(stream.phase, 'live');
  t.same(stream.manifestWritten(LIVE_2S, 4_000, 4_000), { action: 'none' }, 'later writes do not re-register');
});

t.test('heartbeat refreshes while the manifest keeps changing', async (t) => {
  const stream = new StreamLifecycle(timing);
  stream.manifestWritten(LIVE_2S, 0, 0);
  t.equal(stream.nextDeadline(), 5_000, 'heartbeat comes before staleness (6 s)');
  stream.manifestWritten(LIVE_2S, 4_000, 4_000);
  t.same(stream.due(4_999), { action: 'none' }, 'not before the heartbeat');
  t.same(stream.due(5_000), { action: 'refresh' });
  t.equal(stream.nextDeadline(), 10_000, 'stale at 4 s + 6 s, heartbeat at 10 s');
  stream.manifestWritten(LIVE_2S, 8_000, 8_000);
  t.same(stream.due(10_000), { action: 'refresh' });
});

t.test('a manifest that stops changing ends after STALE_TARGET_DURATIONS', async (t) => {
  const stream = new StreamLifecycle(timing);
  stream.manifestWritten(LIVE_2S, 0, 0);
  stream.due(5_000);
  t.equal(stream.nextDeadline(), 6_000);
  t.same(stream.due(6_000), { action: 'end', reason: 'stale', graceSeconds: 8 }, 'kept playable for its last playlist length');
  t.equal(stream.phase, 'stale');
  t.equal(stream.nextDeadline(), undefined, 'no timer while not live');
  t.same(stream.due(20_000), { action: 'none' });
});

t.test('ENDLIST ends the stream for its playlist length; a restarted playlist registers again', async (t) => {
  const stream = new StreamLifecycle(timing);
  stream.manifestWritten(LIVE_2S, 0, 0);
  t.same(stream.manifestWritten(ENDED, 2_000, 2_000), { action: 'end', reason: 'ended', graceSeconds: 10 }, '9.5 s rounded up');
  t.same(stream.manifestWritten(ENDED, 2_000, 2_100), { action: 'none' }, 'a repeated event is harmless');
  t.same(stream.manifestWritten(LIVE_2S, 30_000, 30_000), { action: 'register' }, 'publisher reconnected');
});

t.test('a stale stream whose playlist changes again registers again', async (t) => {
  const stream = new StreamLifecycle(timing);
  stream.manifestWritten(LIVE_2S, 0, 0);
  stream.due(6_000);
  t.same(stream.manifestWritten(LIVE_2S, 0, 6_500), { action: 'none' }, 'an event without a new mtime does not revive it');
  t.same(stream.manifestWritten(LIVE_2S, 7_000, 7_000), { action: 'register' });
});

t.test('a leftover manifest is judged by its mtime', async (t) => {
  const old = new StreamLifecycle(timing);
  t.same(old.manifestWritten(LIVE_2S, 0, 6_000), { action: 'none' }, 'unchanged for 3 target durations');
  t.equal(old.phase, 'stale');
  const recent = new StreamLifecycle(timing);
  t.same(recent.manifestWritten(LIVE_2S, 1_000, 6_000), { action: 'register' }, 'written 5 s ago');
  t.equal(recent.nextDeadline(), 7_000, 'stale counted from the mtime');
  const ended = new StreamLifecycle(timing);
  t.same(ended.manifestWritten(ENDED, 5_900, 6_000), { action: 'none' });
});

t.test('ENDED_GRACE_SECONDS overrides the playlist length', async (t) => {
  const stream = new StreamLifecycle({ ...timing, endedGraceSeconds: 120 });
  stream.manifestWritten(LIVE_2S, 0, 0);
  t.same(stream.manifestWritten(ENDED, 2_000, 2_000), { action: 'end', reason: 'ended', graceSeconds: 120 });
});

t.test('removal withdraws a stream that was reported, live or ended, and nothing else', async (t) => {
  const live = new StreamLifecycle(timing);
  live.manifestWritten(LIVE_2S, 0, 0);
  t.same(live.removed(), { action: 'withdraw' });
  t.same(live.removed(), { action: 'none' }, 'once');
  const ended = new StreamLifecycle(timing);
  ended.manifestWritten(LIVE_2S, 0, 0);
  ended.manifestWritten(ENDED, 1_000, 1_000);
  t.same(ended.removed(), { action: 'withdraw' }, 'its end is no longer served either');
  const leftover = new StreamLifecycle(timing);
  leftover.manifestWritten(ENDED, 1_000, 1_000);
  t.same(leftover.removed(), { action: 'none' }, 'never reported');
});

t.test('the stale limit follows the current target duration', async (t) => {
  const stream = new StreamLifecycle(timing);
  stream.manifestWritten(LIVE_2S, 0, 0);
  stream.manifestWritten({ kind: 'live', targetDurationSeconds: 1, durationSeconds: 4 }, 1_000, 1_000);
  t.equal(stream.nextDeadline(), 4_000, '1 s + 3 × 1 s');
});
