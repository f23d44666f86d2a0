import t from 'tap';
import {
  advancePartLimit,
  blockingTimeoutMs,
  decideReload,
  holds,
  pendingTarget,
  type ReloadPosition,
} from '../../src/llhls/blocking-reload.js';
import { PlaylistFeed } from './llhls-feed.js';

/** Segments 100 to 102 of six parts each, and segment 103 in progress with parts 0 and 1. */
const midSegment = () => PlaylistFeed.running(3, 2);

const WAIT_MS = 6_000;

t.test('the limits: three target durations of blocking, three seconds of parts ahead', async (t) => {
  t.equal(blockingTimeoutMs({ targetDurationSeconds: 2 }), 6_000);
  t.equal(advancePartLimit(0.334).toFixed(3), '8.982');
  t.equal(advancePartLimit(0.5), 6);
  t.equal(advancePartLimit(1), 3);
  t.equal(advancePartLimit(2), 3);
});

t.test('without directives: the playlist now', async (t) => {
  t.same(decideReload(midSegment().playlist, {}), { kind: 'now' });
  t.same(decideReload(midSegment().playlist, { skip: 'YES' }), { kind: 'now' });
});

t.test('_HLS_part without _HLS_msn is refused (6.2.5.2)', async (t) => {
  t.match(decideReload(midSegment().playlist, { part: 2 }), {
    kind: 'refuse',
    status: 400,
    reason: /_HLS_part=2 without _HLS_msn/,
  });
});

t.test('_HLS_msn alone: now once that segment is finished, else wait for it', async (t) => {
  const { playlist } = midSegment();
  t.same(decideReload(playlist, { msn: 102 }), { kind: 'now' });
  t.same(decideReload(playlist, { msn: 0 }), { kind: 'now' }, 'a segment that left the playlist: the whole playlist, now');
  t.same(
    decideReload(playlist, { msn: 103 }),
    { kind: 'wait', target: { mediaSequenceNumber: 103 }, timeoutMs: WAIT_MS },
    'in progress',
  );
  t.same(decideReload(playlist, { msn: 104 }), { kind: 'wait', target: { mediaSequenceNumber: 104 }, timeoutMs: WAIT_MS });
  t.same(decideReload(playlist, { msn: 105 }), { kind: 'wait', target: { mediaSequenceNumber: 105 }, timeoutMs: WAIT_MS });
  t.match(decideReload(playlist, { msn: 106 }), {
    kind: 'refuse',
    status: 400,
    reason: /more than 2 segments past the last one \(103\)/,
  });
});

t.test('_HLS_msn with _HLS_part: now once the part is listed, else wait for it', async (t) => {
  const { playlist } = midSegment();
  t.same(decideReload(playlist, { msn: 103, part: 1 }), { kind: 'now' });
  t.same(decideReload(playlist, { msn: 102, part: 5 }), { kind: 'now' });
  t.same(
    decideReload(playlist, { msn: 103, part: 2 }),
    { kind: 'wait', target: { mediaSequenceNumber: 103, partIndex: 2 }, timeoutMs: WAIT_MS },
    'the hinted part',
  );
  t.same(decideReload(playlist, { msn: 104, part: 0 }), {
    kind: 'wait',
    target: { mediaSequenceNumber: 104, partIndex: 0 },
    timeoutMs: WAIT_MS,
  });
});

t.test('a part past the last of a finished segment is part 0 of the next segment (6.2.5.2)', async (t) => {
  const { playlist } = midSegment();
  t.same(pendingTarget(playlist, { mediaSequenceNumber: 102, partIndex: 6 }), undefined, 'part 103.0 is listed');
  t.same(decideReload(playlist, { msn: 102, part: 99 }), { kind: 'now' });

  const feed = new PlaylistFeed();
  feed.segments(2);
  t.same(pendingTarget(feed.playlist, { mediaSequenceNumber: 101, partIndex: 6 }), { mediaSequenceNumber: 102, partIndex: 0 });
  t.same(decideReload(feed.playlist, { msn: 101, part: 6 }), {
    kind: 'wait',
    target: { mediaSequenceNumber: 102, partIndex: 0 },
    timeoutMs: WAIT_MS,
  });
  t.same(decideReload(feed.playlist, { msn: 101, part: 5 }), { kind: 'now' });
});

t.test('the Advance Part Limit: at most 8.98 parts (three seconds) past the last part', async (t) => {
  const { playlist } = midSegment();
  t.equal(decideReload(playlist, { msn: 103, part: 9 }).kind, 'wait', '8 parts after part 1');
  t.match(decideReload(playlist, { msn: 103, part: 10 }), { kind: 'refuse', reason: /is 9 parts past the last one/ });
  t.equal(decideReload(playlist, { msn: 104, part: 7 }).kind, 'wait', 'at least 8 parts: 104.0 to 104.7');
  t.equal(decideReload(playlist, { msn: 104, part: 8 }).kind, 'refuse');
  t.equal(decideReload(playlist, { msn: 105, part: 6 }).kind, 'wait', 'at least 104.0, then 105.0 to 105.6');
  t.equal(decideReload(playlist, { msn: 105, part: 7 }).kind, 'refuse');
  t.equal(decideReload(playlist, { msn: 103, part: 1_000_000_000 }).kind, 'refuse');
});

t.test('between segments the last segment is the finished one, and the next has no part yet', async (t) => {
  const feed = new PlaylistFeed();
  feed.segments(3);
  const { playlist } = feed;
  t.same(decideReload(playlist, { msn: 103, part: 0 }), {
    kind: 'wait',
    target: { mediaSequenceNumber: 103, partIndex: 0 },
    timeoutMs: WAIT_MS,
  });
  t.equal(decideReload(playlist, { msn: 103, part: 7 }).kind, 'wait', 'eight parts to come');
  t.equal(decideReload(playlist, { msn: 103, part: 8 }).kind, 'refuse');
  t.equal(decideReload(playlist, { msn: 104, part: 0 }).kind, 'wait', 'two past the last (102)');
  t.equal(decideReload(playlist, { msn: 104, part: 7 }).kind, 'refuse', 'at least 103.0, then 104.0 to 104.7');
  t.equal(decideReload(playlist, { msn: 105 }).kind, 'refuse');
});

t.test('an empty playlist: a request without directives waits for the first part', async (t) => {
  const { playlist } = new PlaylistFeed();
  t.same(decideReload(playlist, {}), { kind: 'wait', target: { mediaSequenceNumber: 100, partIndex: 0 }, timeoutMs: WAIT_MS });
  t.same(decideReload(playlist, { msn: 100, part: 0 }), {
    kind: 'wait',
    target: { mediaSequenceNumber: 100, partIndex: 0 },
    timeoutMs: WAIT_MS,
  });
  t.equal(decideReload(playlist, { msn: 101 }).kind, 'wait');
  t.equal(decideReload(playlist, { msn: 102 }).kind, 'refuse', 'more than two past segment 99, the one before the first');
});

t.test('an ended playlist ignores the directives (6.2.5.2), even _HLS_part alone', async (t) => {
  const feed = midSegment();
  feed.playlist.end();
  for (const directives of [{ msn: 104 }, { msn: 104, part: 0 }, { msn: 1_000 }, { part: 3 }, {}]) {
    t.same(decideReload(feed.playlist, directives), { kind: 'now' }, JSON.stringify(directives));
  }
  t.equal(holds(feed.playlist, { mediaSequenceNumber: 1_000 }), true);
});

t.test('the decisions read only the position: a fake will do', async (t) => {
  const position: ReloadPosition = {
    ended: false,
    nextMediaSequence: 10,
    openPartCount: 1,
    partCountOf: (msn) => (msn >= 5 && msn < 10 ? 4 : undefined),
    targetDurationSeconds: 4,
    partTargetSeconds: 1,
  };
  t.same(decideReload(position, { msn: 10, part: 3 }), {
    kind: 'wait',
    target: { mediaSequenceNumber: 10, partIndex: 3 },
    timeoutMs: 12_000,
  });
  t.equal(decideReload(position, { msn: 10, part: 4 }).kind, 'refuse', 'limit 3 parts with one-second parts');
  t.same(decideReload(position, { msn: 9, part: 4 }), { kind: 'now' }, 'part 10.0 is listed');
});
