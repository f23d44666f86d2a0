/**
 * The API goes offline while viewers watch a live stream through the edge (seed 003: "what happens
 * if the HTTP API goes offline for 5 minutes?"). Shared by the bounded test in `npm test`
 * (edge-outages.test.ts) and the 5-minute `npm run test:soak` (edge-outage-soak.ts).
 *
 * Viewers poll like players before, during and after the outage; the outage lasts until the
 * stream's route has expired from Redis (so the API, once back, does not know the stream until
 * discovery reports it again) and at least `outageMs`. A new viewer, a client the edge has never
 * seen, starts during the outage. Every request of every viewer must get a 200.
 */
import { Redis } from 'ioredis';
import type { Test } from 'tap';
import { liveOriginsKey } from '../api/src/store/redis-keys.js';
import { publishFile, testAsset } from '../test-support/ffmpeg.js';
import { waitFor } from '../test-support/wait-for.js';
import type { Platform } from './platform-harness.js';
import { SimulatedViewers, type ViewerRequest } from './simulated-viewers.js';

export interface ApiOutageOptions {
  stream: string;
  /** Least time the API stays down. */
  outageMs: number;
  viewers: number;
}

/** Generous limit for anything the scenario waits for besides the outage itself. */
const WAIT_MS = 60_000;
/** Segments each viewer plays after the API is back before the scenario ends. */
const SEGMENTS_AFTER = 2;
const EDGE_KEEPS_ROUTE = 'route API unavailable: keeping the last known origin';
const EDGE_AWAITS_REPORT = 'route API is back but does not list the stream yet';
const PHASES = { before: 'before the outage', outage: 'during the outage', after: 'after the outage' } as const;

export async function apiOutage(t: Test, platform: Platform, { stream, outageMs, viewers: viewerCount }: ApiOutageOptions): Promise<void> {
  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${stream}`, { loops: -1 });
  t.teardown(() => publisher.stop());
  const redis = new Redis(platform.redis.url);
  t.teardown(() => redis.quit());

  await waitFor('the stream to play through the edge', () => playlistWithSegments(`${platform.edgeUrl}/${stream}/index.m3u8`), {
    timeoutMs: WAIT_MS,
    intervalMs: 250,
  });

  const viewers = new SimulatedViewers({ edgeUrl: platform.edgeUrl, stream, maxRunMs: outageMs + 10 * WAIT_MS });
  t.teardown(() => viewers.stop());
  viewers.start(viewerCount);
  const names = Array.from({ length: viewerCount }, (_, i) => `viewer-${i + 1}`);
  await waitFor('every viewer to play a segment', () => names.every((name) => playedIn(viewers, name, 'before') >= 1), {
    timeoutMs: WAIT_MS,
    intervalMs: 100,
  });

  await platform.stopService('api', 'SIGKILL');
  const outageStarted = Date.now();
  viewers.phase = 'outage';
  t.ok(await refused(`${platform.apiUrl}/health`), 'the API is down (its port refuses connections)');
  await waitFor('the edge to serve without the API', () => platform.logs('edge').includes(EDGE_KEEPS_ROUTE), {
    timeoutMs: WAIT_MS,
    intervalMs: 100,
  });

  // A viewer the edge has never seen: its own connection, its own user-agent.
  viewers.add('new-viewer');
  await waitFor('the new viewer to get the playlist and a segment', () => playedIn(viewers, 'new-viewer', 'outage') >= 1, {
    timeoutMs: WAIT_MS,
    intervalMs: 100,
  });
  t.ok(viewers.sent({ viewer: 'new-viewer', phase: 'outage', kind: 'playlist' }).some((r) => r.status === 200), 'the new viewer got the playlist');
  const newSegment = viewers.sent({ viewer: 'new-viewer', phase: 'outage', kind: 'segment' }).find((r) => r.status === 200)!;
  t.match(newSegment.contentType, /video\/mp2t/, 'and a segment');
  t.ok(newSegment.bytes > 1000, `with media (${newSegment.bytes} bytes)`);

  await waitFor('the stream\'s route to expire from Redis', async () => (await redis.exists(liveOriginsKey(stream))) === 0, {
    timeoutMs: outageMs + WAIT_MS,
    intervalMs: 250,
  });
  const routeExpiredAfterMs = Date.now() - outageStarted;
  await sleep(outageStarted + outageMs - Date.now());
  // The stream went on during the outage: every viewer played segments that appeared after the API went down.
  await waitFor('every viewer to play a segment during the outage', () => names.every((name) => playedIn(viewers, name, 'outage') >= 1), {
    timeoutMs: WAIT_MS,
    intervalMs: 100,
  });

  await platform.startService('api');
  const outageMsObserved = Date.now() - outageStarted;
  viewers.phase = 'after';
  await waitFor('the API to list the stream as live again', () => liveAtApi(platform, stream), { timeoutMs: WAIT_MS, intervalMs: 250 });
  const playedBefore = new Map([...names, 'new-viewer'].map((name) => [name, playedIn(viewers, name, 'after')]));
  await waitFor(
    `every viewer to play ${SEGMENTS_AFTER} more segments`,
    () => [...playedBefore].every(([name, before]) => playedIn(viewers, name, 'after') >= before + SEGMENTS_AFTER),
    { timeoutMs: WAIT_MS, intervalMs: 100 },
  );
  await viewers.stop();

  t.equal(publisher.child.exitCode, null, 'the publisher stayed connected throughout');
  for (const [phase, label] of Object.entries(PHASES)) {
    const sent = viewers.sent({ phase });
    t.ok(sent.length > 0, `requests were made ${label}`);
    const failed = viewers.failed(phase);
    t.same(failed.slice(0, 10).map(summary), [], `${sent.length} requests ${label}, ${failed.length} failed`);
  }
  for (const [phase, label] of Object.entries(PHASES)) {
    const sent = viewers.sent({ phase });
    t.comment(
      `${label}: ${sent.length} requests (${count(sent, 'playlist')} playlists, ${count(sent, 'segment')} segments), ` +
        `${viewers.failed(phase).length} failed, slowest ${Math.max(0, ...sent.map((r) => r.ms))} ms`,
    );
  }
  t.comment(
    `API down ${(outageMsObserved / 1000).toFixed(1)} s (route gone from Redis after ${(routeExpiredAfterMs / 1000).toFixed(1)} s), ` +
      `${viewerCount} viewers + 1 new during the outage; once back, the API ` +
      (platform.logs('edge').includes(EDGE_AWAITS_REPORT)
        ? 'answered "not live" before discovery reported the stream again, and the edge kept its origin'
        : 'heard from discovery before the edge asked it'),
  );
}

/** Segments a viewer got (200) in a phase. */
function playedIn(viewers: SimulatedViewers, viewer: string, phase: string): number {
  return viewers.sent({ viewer, phase, kind: 'segment' }).filter((r) => r.status === 200).length;
}

function count(requests: ViewerRequest[], kind: ViewerRequest['kind']): number {
  return requests.filter((r) => r.kind === kind).length;
}

function summary(r: ViewerRequest): string {
  return `${r.viewer} ${r.path}: ${r.status ?? r.failure} ${r.errorCode ?? ''}`.trim();
}

async function playlistWithSegments(url: string): Promise<boolean> {
  const response = await fetch(url);
  const text = await response.text();
  return response.status === 200 && /\.ts\s*$/m.test(text);
}

async function liveAtApi(platform: Platform, stream: string): Promise<boolean> {
  const route = await platform.internalApi.lookupRoute(stream);
  return typeof route !== 'string' && route.state === 'live';
}

/** True when nothing listens at `url`'s port. */
async function refused(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.body?.cancel();
    return false;
  } catch (error) {
    return (error as { cause?: { code?: unknown } }).cause?.code === 'ECONNREFUSED';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
