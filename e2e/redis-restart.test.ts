/**
 * Redis under a live stream (issue 9: "Redis restarted: durable data intact, live routes back
 * within one heartbeat"), with the whole platform running, a managed stream published with its key
 * and viewers polling it through the edge:
 * - Redis restarted as the shipped config runs it (SIGTERM, then started again on the same port and
 *   AOF data dir): the user, its token, the stream, its key and its restream target read back as
 *   before; the stream plays on through the edge and its route answers live; its lease still
 *   refuses a second publisher, and the key publishes again once its publisher stopped (which
 *   leaves the lease waiting for the next publisher).
 * - Live state lost (a failover to a replica that lagged, a restart without AOF): every live key
 *   vanishes at once while the stream is live; discovery's next report puts the route back, the
 *   origin's next heartbeat re-takes the lease and lists the origin again, and viewers play on
 *   without a failed request: the origin never stopped serving the stream, and the edge already
 *   keeps its routes through an API outage.
 */
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import * as keys from '../api/src/store/redis-keys.js';
import { InternalApiRefusedError } from '../internal-api/src/internal-api-errors.js';
import { publishFile, testAsset, type Publisher } from '../test-support/ffmpeg.js';
import { newestSegment } from '../test-support/newest-segment.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { SimulatedViewers, type ViewerRequest } from './simulated-viewers.js';
import { v1Request, type V1Answer } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_redis_restart_token';
/** Discovery's and the origin's defaults, named so the measured recovery times can be set against them. */
const DISCOVERY_HEARTBEAT_SECONDS = 5;
const INGEST_HEARTBEAT_MS = 1_000;
const VIEWERS = 5;
/** Generous limit for anything the tests wait for. */
const WAIT_MS = 60_000;
/** Segments each viewer plays once everything is back, before the viewers stop. */
const SEGMENTS_AFTER = 2;
/** Who asks for a publish in the lease checks: an origin other than the harness's one. */
const SECOND_ORIGIN = { origin_id: 'second-origin', session_id: 'second-session' };

/**
 * Every key of the live state (redis-keys.ts: each has a TTL, or indexes keys that do), as glob
 * patterns; the durable data (users, tokens, streams, keys, targets, counters) is not among them.
 */
const LIVE_STATE_PATTERNS = [
  keys.liveOriginsKey('*'),
  keys.liveRegisteredKey('*'),
  keys.liveManifestsKey('*'),
  keys.liveEndedKey('*'),
  keys.publisherKey('*'),
  keys.ingestKey('*'),
  keys.INGESTS,
  keys.restreamStatusKey('*'),
  keys.viewersKey('*'),
  keys.userFallbackReservationsKey('*'),
];

/** Deletes every key matching ARGV's patterns in one step, as a failover loses them; returns their names. */
const DELETE_MATCHING = `
local deleted = {}
for _, pattern in ipairs(ARGV) do
  for _, key in ipairs(redis.call('KEYS', pattern)) do
    redis.call('DEL', key)
    deleted[#deleted + 1] = key
  end
end
return deleted
`;

interface LiveStream {
  id: string;
  userId: string;
  token: string;
  key: string;
  publisher: Publisher;
  viewers: SimulatedViewers;
  /** A client of the platform's Redis, to read the lease the way the API stores it. */
  redis: Redis;
}

async function start(t: Test): Promise<Platform> {
  const platform = await startPlatform(
    { ADMIN_TOKEN, ALLOWED_STREAMS: '' },
    { discovery: { HEARTBEAT_SECONDS: String(DISCOVERY_HEARTBEAT_SECONDS) }, origin: { INGEST_HEARTBEAT_MS: String(INGEST_HEARTBEAT_MS) } },
  );
  t.teardown(() => platform.stop());
  return platform;
}

/** A user's stream (with a disabled restream target), published with its key and played by VIEWERS viewers. */
async function goLive(t: Test, platform: Platform, userName: string): Promise<LiveStream> {
  const admin = (method: string, path: string, body?: object) => v1Request(platform.apiUrl, ADMIN_TOKEN, method, path, body);
  const user = (await admin('POST', '/v1/users', { name: userName })).json;
  const token = (await admin('POST', `/v1/users/${user.id}/tokens`, { name: 'e2e' })).json.token as string;
  const api = (method: string, path: string, body?: object) => v1Request(platform.apiUrl, token, method, path, body);
  const { id } = (await api('POST', '/v1/streams', { name: `${userName} live` })).json as { id: string };
  const target = await api('POST', `/v1/streams/${id}/restream-targets`, { platform: 'twitch', stream_key: 'live_1234_redisrestart', enabled: false });
  t.equal(target.status, 201, 'a restream target is stored with the stream');
  const streamKeys = (await api('GET', `/v1/streams/${id}/stream-keys`)).json.data as Array<{ protocol: string; stream_key: string }>;
  const key = streamKeys.find((k) => k.protocol === 'rtmp')!.stream_key;

  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${key}`, { loops: -1 });
  t.teardown(() => publisher.stop());
  await waitFor('the stream to play through the edge', () => newestSegment(platform.edgeUrl, id), { timeoutMs: WAIT_MS, intervalMs: 250 });

  const viewers = new SimulatedViewers({ edgeUrl: platform.edgeUrl, stream: id, maxRunMs: 10 * WAIT_MS });
  t.teardown(() => viewers.stop());
  viewers.start(VIEWERS);
  await waitFor('every viewer to play a segment', () => everyViewerPlayed(viewers, 'before', 1), { timeoutMs: WAIT_MS, intervalMs: 100 });

  const redis = new Redis(platform.redis.url);
  // Redis goes away in these tests: the client reconnects by itself, its errors meanwhile are expected.
  redis.on('error', () => undefined);
  t.teardown(() => redis.disconnect());
  return { id, userId: user.id as string, token, key, publisher, viewers, redis };
}

function viewerNames(): string[] {
  return Array.from({ length: VIEWERS }, (_, i) => `viewer-${i + 1}`);
}

/** Segments a viewer got (200) in a phase. */
function played(viewers: SimulatedViewers, viewer: string, phase: string): number {
  return viewers.sent({ viewer, phase, kind: 'segment' }).filter((r) => r.status === 200).length;
}

function everyViewerPlayed(viewers: SimulatedViewers, phase: string, segments: number): boolean {
  return viewerNames().every((name) => played(viewers, name, phase) >= segments);
}

function summary(r: ViewerRequest): string {
  return `${r.viewer} ${r.path}: ${r.status ?? r.failure} ${r.errorCode ?? ''}`.trim();
}

/**
 * Lets every viewer play SEGMENTS_AFTER more segments in phase `after`, stops them, and asserts
 * that the publisher was never cut and no viewer request failed in any of `phases` (a label each).
 */
async function viewersPlayedOn(t: Test, { viewers, publisher }: LiveStream, phases: Record<string, string>): Promise<void> {
  await waitFor(`every viewer to play ${SEGMENTS_AFTER} more segments`, () => everyViewerPlayed(viewers, 'after', SEGMENTS_AFTER), {
    timeoutMs: WAIT_MS,
    intervalMs: 100,
  });
  await viewers.stop();
  t.equal(publisher.child.exitCode, null, 'the publisher stayed connected throughout');
  for (const [phase, label] of Object.entries(phases)) {
    const sent = viewers.sent({ phase });
    const failed = viewers.failed(phase);
    t.ok(sent.length > 0, `viewers made requests ${label}`);
    t.same(failed.slice(0, 10).map(summary), [], `${sent.length} viewer requests ${label}, ${failed.length} failed`);
    const byAnswer = new Map<string, number>();
    for (const r of failed) {
      const answer = `${r.status ?? 'no answer'} ${r.errorCode ?? ''}`.trim();
      byAnswer.set(answer, (byAnswer.get(answer) ?? 0) + 1);
    }
    const failures = [...byAnswer].map(([answer, n]) => `${n} x ${answer}`).join(', ');
    const segments = sent.filter((r) => r.kind === 'segment' && r.status === 200).length;
    t.comment(`${label}: ${sent.length} requests, ${segments} segments played, ${failed.length} failed${failures ? ` (${failures})` : ''}`);
  }
}

/**
 * What the user and the admin read back through /v1: the durable data Redis must keep. A target's
 * push `status` is live state (restreamStatusKey), re-reported by the origin every
 * RESTREAM_STATUS_INTERVAL_MS with a new `reported_at`: it is left out.
 */
async function durableData(platform: Platform, live: LiveStream): Promise<Record<string, { status: number; body: unknown }>> {
  const asUser = (path: string) => v1Request(platform.apiUrl, live.token, 'GET', path);
  const targets = await asUser(`/v1/streams/${live.id}/restream-targets`);
  const answers: Record<string, V1Answer> = {
    user: await v1Request(platform.apiUrl, ADMIN_TOKEN, 'GET', `/v1/users/${live.userId}`),
    tokens: await asUser('/v1/tokens'),
    stream: await asUser(`/v1/streams/${live.id}`),
    streamKeys: await asUser(`/v1/streams/${live.id}/stream-keys`),
    restreamTargets: { ...targets, json: { ...targets.json, data: withoutStatus(targets.json.data) } },
  };
  return Object.fromEntries(Object.entries(answers).map(([name, answer]) => [name, { status: answer.status, body: answer.json }]));
}

function withoutStatus(targets: Array<Record<string, unknown>> | undefined): Array<Record<string, unknown>> | undefined {
  return targets?.map(({ status: _status, ...target }) => target);
}

async function leaseHolder(live: LiveStream): Promise<string | null> {
  return live.redis.hget(keys.publisherKey(live.id), 'session_id');
}

/**
 * The lease no longer blocks a publisher: left waiting for the next one (the origin holds the
 * stream for its publisher's return) or gone.
 */
async function leaseLeft(live: LiveStream): Promise<boolean> {
  const lease = await live.redis.hgetall(keys.publisherKey(live.id));
  return !lease.session_id || lease.state === 'waiting';
}

/**
 * What an origin other than the harness's would be told if a publisher came to it with the key:
 * `200`, or the refusal's status and code. One origin refuses a second publish of the same path
 * by itself, so the lease shows only across origins. A grant is given back at once (its lease
 * left waiting, which the real publisher's next heartbeat takes over), so the test itself does
 * not get the real publisher cut.
 */
async function secondOriginAsks(platform: Platform, live: LiveStream): Promise<string> {
  try {
    await platform.internalApi.authorize({ name: live.key, app: 'stream', addr: '127.0.0.1', ...SECOND_ORIGIN });
  } catch (error) {
    if (error instanceof InternalApiRefusedError) return `${error.status} ${error.errorCode}`;
    throw error;
  }
  await platform.internalApi.publisherLeft(SECOND_ORIGIN.origin_id, SECOND_ORIGIN.session_id, live.id);
  return '200';
}

async function liveRoute(platform: Platform, stream: string): Promise<{ host: string } | undefined> {
  const route = await platform.internalApi.lookupRoute(stream);
  return typeof route !== 'string' && route.state === 'live' ? route : undefined;
}

async function ingests(platform: Platform, live: LiveStream): Promise<unknown[]> {
  return (await v1Request(platform.apiUrl, live.token, 'GET', '/v1/ingests?protocol=rtmp')).json.ingests as unknown[];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

t.test('Redis restarted with its AOF while a stream is live: durable data intact, the stream plays on, its key still publishes', async (t) => {
  const platform = await start(t);
  const live = await goLive(t, platform, 'restart-user');
  const before = await durableData(platform, live);
  t.same(Object.values(before).map((answer) => answer.status), Object.values(before).map(() => 200), 'the durable data reads back before the restart');
  const ingestsBefore = await ingests(platform, live);
  const sessionBefore = await leaseHolder(live);
  t.ok(sessionBefore, 'the publisher holds the lease before the restart');
  t.equal(await secondOriginAsks(platform, live), '409 LIVE_ERR_ALREADY_PUBLISHING', 'before the restart, a second publisher is refused');

  const playlistBefore = await (await fetch(`${platform.edgeUrl}/${live.id}/index.m3u8`)).text();
  const segmentsBefore = new Set(playlistBefore.split('\n').filter((line) => line.endsWith('.ts')));

  live.viewers.phase = 'restart';
  const stoppingAt = Date.now();
  await platform.redis.stop();
  await platform.redis.restart();
  const restartedAt = Date.now();

  await waitFor('the API to answer from Redis again', async () => (await v1Request(platform.apiUrl, live.token, 'GET', `/v1/streams/${live.id}`)).status !== 503, {
    timeoutMs: WAIT_MS,
  });
  const apiBackAt = Date.now();
  t.same(await durableData(platform, live), before, 'the user, its token, the stream, its key and its restream target read back as before');
  t.match(before.stream!.body, { id: live.id, name: 'restart-user live', restream_targets: [{ platform: 'twitch', enabled: false }] }, 'the same id, name and settings');
  t.same(await ingests(platform, live), ingestsBefore, '/v1/ingests lists the origin as before');

  const route = await waitFor('the route to answer live', () => liveRoute(platform, live.id), { timeoutMs: WAIT_MS });
  t.ok(route.host, `the internal route answers live, on ${route.host}`);
  await waitFor('the lease to be held', () => leaseHolder(live), { timeoutMs: WAIT_MS });
  t.equal(await leaseHolder(live), sessionBefore, 'the lease is held by the same publisher session');
  t.equal(await secondOriginAsks(platform, live), '409 LIVE_ERR_ALREADY_PUBLISHING', 'after the restart, a second publisher with the key is still refused');

  const newer = await waitFor(
    'a segment newer than any played before the restart, through the edge',
    async () => {
      const uri = await newestSegment(platform.edgeUrl, live.id);
      return uri !== undefined && !segmentsBefore.has(uri) ? uri : undefined;
    },
    { timeoutMs: WAIT_MS, intervalMs: 250 },
  );
  const segment = await fetch(`${platform.edgeUrl}/${live.id}/${newer}`);
  t.equal(segment.status, 200, `the edge serves ${newer}, cut after the restart`);
  t.match(segment.headers.get('content-type'), /video\/mp2t/, 'as MPEG-TS');
  await segment.body?.cancel();

  live.viewers.phase = 'after';
  await viewersPlayedOn(t, live, { before: 'before the restart', restart: 'while Redis restarted', after: 'after the restart' });
  const edgeNoticed = platform.logs('edge').includes('route API unavailable: keeping the last known origin');
  t.comment(
    `Redis down and back in ${seconds(restartedAt - stoppingAt)}; the API answered from it ${seconds(apiBackAt - restartedAt)} later; ` +
      (edgeNoticed ? 'the edge served its known route while the API could not answer' : 'the edge never found the API unable to answer'),
  );

  await live.publisher.stop();
  await waitFor('the lease to be left for the next publisher once the publisher left', () => leaseLeft(live), { timeoutMs: WAIT_MS });
  const again = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${live.key}`, { loops: -1 });
  t.teardown(() => again.stop());
  await waitFor(
    'the stream to go on with the new publish, after a discontinuity',
    async () => {
      const text = await (await fetch(`${platform.edgeUrl}/${live.id}/index.m3u8`)).text();
      return /#EXT-X-DISCONTINUITY[\s\S]*\.ts[\s\S]*\.ts/.test(text);
    },
    { timeoutMs: WAIT_MS, intervalMs: 250 },
  );
  t.equal(again.child.exitCode, null, 'the key publishes again once its publisher stopped');
  const sessionAgain = await leaseHolder(live);
  t.ok(sessionAgain !== null && sessionAgain !== sessionBefore, 'the new publish holds the lease');
});

t.test('live state lost while a stream is live: the route is back within a discovery heartbeat, the lease and ingest within an origin heartbeat, viewers play on', async (t) => {
  const platform = await start(t);
  const live = await goLive(t, platform, 'failover-user');
  const ingestsBefore = await ingests(platform, live);
  const sessionBefore = await leaseHolder(live);
  t.ok(sessionBefore, 'the publisher holds the lease');

  // Lost just after discovery's report: the worst case, a whole heartbeat before the next one.
  const routeTtl = () => live.redis.pttl(keys.liveOriginsKey(live.id));
  let lastTtl = await routeTtl();
  await waitFor(
    "discovery's next report of the stream",
    async () => {
      const ttl = await routeTtl();
      const reported = ttl > lastTtl;
      lastTtl = ttl;
      return reported;
    },
    { timeoutMs: WAIT_MS, intervalMs: 10 },
  );
  const deleted = (await live.redis.eval(DELETE_MATCHING, 0, ...LIVE_STATE_PATTERNS)) as string[];
  const lostAt = Date.now();
  live.viewers.phase = 'lost';
  for (const key of [keys.liveOriginsKey(live.id), keys.publisherKey(live.id), keys.INGESTS]) {
    t.ok(deleted.includes(key), `${key} was lost`);
  }
  t.ok(deleted.some((key) => key.startsWith(keys.ingestKey(''))), "the origin's ingest entry was lost");

  const [routeBackMs, leaseBackMs, ingestBackMs] = await Promise.all([
    waitFor('the route to answer live again', async () => (await liveRoute(platform, live.id)) && Date.now() - lostAt, { timeoutMs: WAIT_MS }),
    waitFor('the lease to be held again', async () => (await leaseHolder(live)) !== null && Date.now() - lostAt, { timeoutMs: WAIT_MS }),
    waitFor('/v1/ingests to list the origin again', async () => (await ingests(platform, live)).length > 0 && Date.now() - lostAt, {
      timeoutMs: WAIT_MS,
    }),
  ]);
  live.viewers.phase = 'after';
  t.pass(`the internal route answers live again, ${seconds(routeBackMs)} after the loss (discovery heartbeat ${DISCOVERY_HEARTBEAT_SECONDS} s)`);
  t.equal(await leaseHolder(live), sessionBefore, `the origin's heartbeat re-took the lease for its publisher, ${seconds(leaseBackMs)} after the loss`);
  t.equal(await secondOriginAsks(platform, live), '409 LIVE_ERR_ALREADY_PUBLISHING', 'a second publisher with the key is refused again');
  t.same(await ingests(platform, live), ingestsBefore, `/v1/ingests lists the origin again, ${seconds(ingestBackMs)} after the loss`);

  await viewersPlayedOn(t, live, { before: 'before the loss', lost: 'until the live state was back', after: 'after it was back' });
  t.comment(
    `live state lost (${deleted.length} keys): route back after ${seconds(routeBackMs)} (discovery heartbeat ${DISCOVERY_HEARTBEAT_SECONDS} s), ` +
      `lease after ${seconds(leaseBackMs)} and ingest listed after ${seconds(ingestBackMs)} (origin heartbeat ${INGEST_HEARTBEAT_MS / 1000} s)`,
  );
});
