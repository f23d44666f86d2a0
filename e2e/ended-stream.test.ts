/**
 * A broadcast ends cleanly through the edge: when the publisher stops, a viewer polling like a
 * player gets the final playlist with EXT-X-ENDLIST (never a 404 first) and every segment in it,
 * for the grace period; then 204 No Content (the stream exists, nothing is live). A publisher back within the grace period is live again on the
 * same URL.
 */
import t from 'tap';
import HLS from 'hls-parser';
import { publishFile, testAsset } from '../test-support/ffmpeg.js';
import { waitFor } from '../test-support/wait-for.js';
import type { StreamRoute } from '../internal-api/src/route-contract.js';
import { startPlatform, type Platform } from './platform-harness.js';

const GRACE_SECONDS = 6;
/** How often a player (hls.js, Safari) re-reads a live playlist with 2 s segments, about. */
const POLL_MS = 250;

let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ENDED_GRACE_SECONDS: String(GRACE_SECONDS) });
});
t.teardown(() => platform?.stop());

interface Poll {
  at: number;
  status: number;
  text: string;
}

async function get(url: string): Promise<Poll & { type: string | null; bytes: number }> {
  const response = await fetch(url);
  const body = Buffer.from(await response.arrayBuffer());
  return { at: Date.now(), status: response.status, text: body.toString(), type: response.headers.get('content-type'), bytes: body.length };
}

/** Polls `url` every POLL_MS until `done` says so; returns every answer. */
async function pollUntil(url: string, done: (poll: Poll) => boolean, what: string, timeoutMs = 60_000): Promise<Poll[]> {
  const polls: Poll[] = [];
  await waitFor(what, async () => {
    const poll = await get(url);
    polls.push(poll);
    return done(poll);
  }, { timeoutMs, intervalMs: POLL_MS });
  return polls;
}

/** The route as the edge gets it from the API. */
async function apiRoute(stream: string): Promise<StreamRoute> {
  const route = await platform.internalApi.lookupRoute(stream);
  if (typeof route === 'string') throw new Error(`the API has no route for ${stream}: ${route}`);
  return route;
}

const hasEndlist = (poll: Poll) => poll.status === 200 && poll.text.includes('#EXT-X-ENDLIST');

t.test('after the publisher stops, the edge serves the end for the grace period, then 204', async (t) => {
  const stream = 'ending';
  const playlistUrl = `${platform.edgeUrl}/${stream}/index.m3u8`;
  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${stream}`);
  t.teardown(() => publisher.stop());

  await pollUntil(playlistUrl, (poll) => poll.status === 200, 'the stream to play through the edge');
  // The 6 s clip ends by itself: ffmpeg closes the publish, the origin writes ENDLIST.
  const polls = await pollUntil(playlistUrl, hasEndlist, 'ENDLIST through the edge');
  t.same(polls.filter((poll) => poll.status !== 200).map((poll) => poll.status), [], `${polls.length} polls up to the end, none failed`);

  const final = HLS.parse(polls.at(-1)!.text) as HLS.types.MediaPlaylist;
  t.ok(final.endlist, 'the final playlist');
  t.ok(final.segments.length >= 2, `with its segments (${final.segments.length})`);
  for (const segment of final.segments) {
    const media = await get(`${platform.edgeUrl}/${stream}/${segment.uri}`);
    t.equal(media.status, 200, `${segment.uri} is still served`);
    t.match(media.type, /video\/mp2t/);
    t.ok(media.bytes > 1000, `${segment.uri} has media (${media.bytes} bytes)`);
  }

  const route = await apiRoute(stream);
  t.equal(route.state, 'ended', 'the API offers the stream as ended');
  const expiresAt = Date.parse(route.origins[0]!.expires_at);
  t.equal(expiresAt - Date.parse(route.origins[0]!.ended_at!), GRACE_SECONDS * 1000, 'for ENDED_GRACE_SECONDS');

  const afterEnd = await pollUntil(playlistUrl, (poll) => poll.status === 204, 'the edge to drop the ended stream');
  const gone = afterEnd.at(-1)!;
  t.ok(gone.at >= expiresAt, `204 only once the grace period is over (${gone.at - expiresAt} ms after)`);
  t.ok(afterEnd.slice(0, -1).every(hasEndlist), `until then every poll got the final playlist (${afterEnd.length - 1} polls)`);
  t.equal(gone.text, '', 'No Content: the stream exists, nothing is live (seed 004)');
});

t.test('a publisher back within the grace period is live again on the same URL, after a discontinuity', async (t) => {
  const stream = 'returning';
  const playlistUrl = `${platform.edgeUrl}/${stream}/index.m3u8`;
  const first = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${stream}`);
  t.teardown(() => first.stop());
  await pollUntil(playlistUrl, hasEndlist, 'the first broadcast to end');

  const second = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${stream}`, { loops: -1 });
  t.teardown(() => second.stop());
  const polls = await pollUntil(
    playlistUrl,
    (poll) => poll.status === 200 && !poll.text.includes('#EXT-X-ENDLIST'),
    'the stream to be live again',
  );
  t.same(polls.filter((poll) => poll.status !== 200).map((poll) => poll.status), [], 'never a 404 in between');
  t.match(polls.at(-1)!.text, /#EXT-X-DISCONTINUITY/, 'the new broadcast follows a discontinuity');
  const route = await apiRoute(stream);
  t.equal(route.state, 'live');
  t.equal(route.origins[0]!.ended_at, null);
});
