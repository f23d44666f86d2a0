import t from 'tap';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { decideReload } from '../../src/llhls/blocking-reload.js';
import type { DeliveryDirectives } from '../../../llhls-contract/src/delivery-directives.js';
import { ReloadWaiters, type PendingReload, type WaitOutcome } from '../../src/llhls/reload-waiters.js';
import { PlaylistFeed, SEGMENT_PARTS_MS } from './llhls-feed.js';

/** A blocked request as the HTTP layer will hold it, with its outcome readable once settled. */
class HeldRequest {
  outcome: WaitOutcome | undefined;
  readonly pending: PendingReload;

  constructor(waiters: ReloadWaiters, feed: PlaylistFeed, directives: DeliveryDirectives) {
    const decision = decideReload(feed.playlist, directives);
    if (decision.kind !== 'wait') throw new Error(`expected to wait, got ${JSON.stringify(decision)}`);
    this.pending = waiters.wait(decision.target, decision.timeoutMs);
    void this.pending.outcome.then((outcome) => (this.outcome = outcome));
  }
}

/** Lets promise callbacks run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** A stream mid-segment (segments 100 to 102, parts 103.0 and 103.1) and its waiting requests. */
function setup() {
  const timers = new ManualTimers();
  const waiters = new ReloadWaiters(timers.schedule);
  const feed = PlaylistFeed.running(3, 2);
  /** Changes the playlist as the packager does, then tells the waiters, then lets promises settle. */
  const publish = async (change: () => void) => {
    change();
    waiters.release(feed.playlist);
    await settled();
  };
  return { timers, waiters, feed, publish };
}

/** The parts that finish segment 103 after its first two. */
const finishSegment = (feed: PlaylistFeed) => {
  for (const ms of SEGMENT_PARTS_MS.slice(2)) feed.part(ms);
  feed.playlist.endSegment();
};

t.test('a request for the next part is ready when that part is added, not before', async (t) => {
  const { timers, waiters, feed, publish } = setup();
  const next = new HeldRequest(waiters, feed, { msn: 103, part: 2 });
  const later = new HeldRequest(waiters, feed, { msn: 103, part: 3 });
  t.same(timers.pending, [6_000, 6_000], 'one deadline each, three target durations away');

  await publish(() => {});
  t.equal(next.outcome, undefined, 'nothing changed yet');

  await publish(() => feed.part(333));
  t.same(next.outcome, { kind: 'ready' });
  t.equal(later.outcome, undefined);
  t.equal(waiters.size, 1);
  t.same(timers.pending, [6_000], "the ready request's deadline is cancelled");

  await publish(() => feed.part(334));
  t.same(later.outcome, { kind: 'ready' });
  t.equal(waiters.size, 0);
  t.same(timers.pending, []);
});

t.test('a request for a whole segment is ready when the segment ends', async (t) => {
  const { waiters, feed, publish } = setup();
  const segment = new HeldRequest(waiters, feed, { msn: 103 });
  await publish(() => SEGMENT_PARTS_MS.slice(2).forEach((ms) => feed.part(ms)));
  t.equal(segment.outcome, undefined, 'all parts listed, but the segment has not ended');

  await publish(() => feed.playlist.endSegment());
  t.same(segment.outcome, { kind: 'ready' });
});

t.test('a part past the last of its segment is ready with part 0 of the next segment', async (t) => {
  const { waiters, feed, publish } = setup();
  const seventh = new HeldRequest(waiters, feed, { msn: 103, part: 6 });
  await publish(() => finishSegment(feed));
  t.equal(seventh.outcome, undefined, 'segment 103 ended with six parts: the request is for 104.0');

  await publish(() => feed.parts(1));
  t.same(seventh.outcome, { kind: 'ready' });
});

t.test('a request still waiting after three target durations times out with 503', async (t) => {
  const { timers, waiters, feed, publish } = setup();
  const stalled = new HeldRequest(waiters, feed, { msn: 103, part: 2 });
  timers.advance(5_999);
  await settled();
  t.equal(stalled.outcome, undefined);

  timers.advance(1);
  await settled();
  t.same(stalled.outcome, { kind: 'timed-out', status: 503 });
  t.equal(waiters.size, 0);

  await publish(() => feed.part(333));
  t.same(stalled.outcome, { kind: 'timed-out', status: 503 }, 'settled once');
});

t.test('the end of the stream makes every request ready (an ended playlist ignores directives)', async (t) => {
  const { timers, waiters, feed, publish } = setup();
  const requests = [{ msn: 103, part: 2 }, { msn: 104 }, { msn: 105, part: 0 }].map(
    (directives) => new HeldRequest(waiters, feed, directives),
  );
  await publish(() => feed.playlist.end());
  t.same(
    requests.map((request) => request.outcome),
    [{ kind: 'ready' }, { kind: 'ready' }, { kind: 'ready' }],
  );
  t.same(timers.pending, []);
});

t.test('close() settles every request as closed; cancel() forgets one', async (t) => {
  const { timers, waiters, feed } = setup();
  const gone = new HeldRequest(waiters, feed, { msn: 103, part: 2 });
  const kept = new HeldRequest(waiters, feed, { msn: 104 });
  gone.pending.cancel();
  t.equal(waiters.size, 1);
  t.same(timers.pending, [6_000]);

  waiters.close();
  await settled();
  t.same(kept.outcome, { kind: 'closed' });
  t.equal(gone.outcome, undefined, 'a cancelled request is never settled');
  t.same(timers.pending, []);
  timers.advance(10_000);
  await settled();
  t.equal(gone.outcome, undefined);
});
