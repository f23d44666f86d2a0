/**
 * A stream moving between the origins of the scaled-out platform (`npm run start:cluster`), with
 * its restream target and its viewers on both edges:
 * - its publisher leaves origin A and comes back on origin B while A plays the fallback video:
 *   B takes the stream over, A stops its fallback and its push, viewers move to B without an end;
 * - the origin that holds it is killed (SIGKILL): the publisher, restarted as OBS reconnects, is
 *   live again through HAProxy on the other origin; viewers on both edges get its new segments;
 *   the target receives the stream again; no viewer request hangs.
 * Needs root (ip netns), as CI runs.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { publishFile, testAsset } from '../test-support/ffmpeg.js';
import { newestSegment, playlistSegments } from '../test-support/newest-segment.js';
import { reconnectingPublisher } from '../test-support/reconnecting-publisher.js';
import { startRtmpReceiver, type ReceivedPublish, type RtmpReceiver } from '../test-support/rtmp-receiver.js';
import { waitFor } from '../test-support/wait-for.js';
import {
  CLUSTER_ADMIN_TOKEN,
  CLUSTER_CLIP,
  haproxyState,
  ORIGIN_REQUEST_HEADERS,
  originOf,
  publishThroughHaproxy,
  servicePid,
  startCluster,
  type Cluster,
  type OriginName,
} from '../test-support/cluster.js';
import { uploadFallbackClip } from './fallback-clip.js';
import { watchPlaylist } from './playlist-watch.js';
import { SimulatedViewers } from './simulated-viewers.js';
import { v1Request } from './v1-request.js';

/** Not npm start's 10.77.0 and lsc, nor the other cluster tests'. */
const NET = '10.76.0';
const NAME = 'lsf';
const TARGET_KEY = 'cluster-target-key';
const WAIT = { timeoutMs: 60_000, intervalMs: 250 };

let cluster: Cluster;
let receiver: RtmpReceiver;
let scratch: string;

t.before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'livestack-cluster-failover-'));
  cluster = startCluster(NET, NAME, path.join(scratch, 'run'), { ALLOW_PRIVATE_TARGETS: 'true' });
  if (!(await cluster.up())) throw new Error(`the cluster did not come up:\n${cluster.output().slice(-3000)}`);
  // On the host's end of the bridge, which every namespace reaches.
  receiver = await startRtmpReceiver({ host: `${NET}.1`, expectedKey: TARGET_KEY });
});
t.teardown(async () => {
  await receiver?.close();
  cluster?.interrupt();
  await cluster?.exited;
  await rm(scratch, { recursive: true, force: true });
});

const api = (method: string, apiPath: string, body?: object) => v1Request(cluster.apiUrl, CLUSTER_ADMIN_TOKEN, method, apiPath, body);
const other = (origin: OriginName): OriginName => (origin === 'origin-1' ? 'origin-2' : 'origin-1');

/** A stream with a restream target on the test's receiver; its RTMP key. */
async function streamWithTarget(name: string): Promise<{ id: string; key: string }> {
  const stream = (await api('POST', '/v1/streams', { name })).json;
  const target = await api('POST', `/v1/streams/${stream.id}/restream-targets`, {
    platform: 'custom',
    stream_url: `rtmp://${NET}.1:${receiver.port}/live`,
    stream_key: TARGET_KEY,
  });
  if (target.status !== 201) throw new Error(`target refused: ${target.text}`);
  const keys = (await api('GET', `/v1/streams/${stream.id}/stream-keys`)).json.data as Array<{ protocol: string; stream_key: string }>;
  return { id: stream.id, key: keys.find((key) => key.protocol === 'rtmp')!.stream_key };
}

/** The segment URIs an origin's own playlist of `stream` names (none when it serves none). */
async function originSegments(origin: OriginName, stream: string): Promise<Set<string>> {
  return new Set((await playlistSegments(`http://${cluster.originAddress(origin)}:8080`, stream, { headers: { ...ORIGIN_REQUEST_HEADERS } })) ?? []);
}

/** Waits until `edge` serves, as its newest segment, one that `origin` packaged; returns when. */
async function edgeFollows(edge: string, origin: OriginName, stream: string): Promise<number> {
  await waitFor(
    `${edge} to serve ${origin}'s segments of ${stream}`,
    async () => {
      const newest = await newestSegment(edge, stream);
      return newest !== undefined && (await originSegments(origin, stream)).has(newest);
    },
    WAIT,
  );
  return Date.now();
}

/** The origin's log lines (pino JSON) whose message matches. */
async function originLog(origin: OriginName, message: RegExp): Promise<Array<{ time: number; msg: string; stream?: string }>> {
  const text = await readFile(path.join(scratch, 'run', 'logs', `${origin}.log`), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { time: number; msg: string; stream?: string })
    .filter((entry) => message.test(entry.msg));
}

const targetPublishes = (): ReceivedPublish[] => receiver.publishes.filter((publish) => publish.name === TARGET_KEY);
const videoTags = (publish: ReceivedPublish) => publish.tags.filter((tag) => tag.type === 9).length;

t.test('the publisher comes back on the other origin while the fallback plays: that origin takes the stream over', async (t) => {
  const stream = await streamWithTarget('Moving show');
  const upload = await uploadFallbackClip(cluster.apiUrl, CLUSTER_ADMIN_TOKEN, stream.id, scratch);
  t.equal(upload.status, 201, 'fallback uploaded');
  const pushesBefore = targetPublishes().length;

  let publisher = publishThroughHaproxy(cluster, stream.key);
  t.teardown(() => publisher.stop());
  const first = await waitFor('the stream on an origin', () => originOf(cluster, stream.id), WAIT);
  const second = other(first);
  await waitFor('the target to receive the stream', () => targetPublishes().slice(pushesBefore).some((publish) => videoTags(publish) > 30), WAIT);
  const watches = cluster.edges.map((edge) => watchPlaylist(`${edge}/${stream.id}/index.m3u8`));
  t.teardown(() => Promise.all(watches.map((watch) => watch.stop())));
  for (const edge of cluster.edges) await waitFor(`${edge} to serve the stream`, () => newestSegment(edge, stream.id), WAIT);
  const watchedFrom = Date.now();

  await publisher.stop();
  await waitFor(`${first} to play the fallback`, async () => (await originLog(first, /playing the fallback video/)).length > 0, WAIT);
  const firstPush = targetPublishes().slice(pushesBefore);
  t.equal(firstPush.length, 1, `one push, from ${first}`);
  t.notOk(firstPush[0]!.closed, `${first} keeps pushing (the fallback) while the publisher is away`);

  // Back, on the other origin (as HAProxy's leastconn may send it there).
  const backAt = Date.now();
  publisher = publishFile(testAsset(CLUSTER_CLIP), `rtmp://${cluster.originAddress(second)}:1935/stream/${stream.key}`, { loops: -1 });
  await waitFor(`${second} to package the stream`, async () => (await originSegments(second, stream.id)).size > 0, WAIT);
  t.pass(`the returning publisher is not refused on ${second}: the stream only waited for it`);
  await waitFor(`${first} to hand the stream over`, async () => (await originLog(first, /handed over/)).length > 0, WAIT);
  await waitFor(`${first}'s push to close`, () => firstPush[0]!.closed, WAIT);
  await waitFor(`a push from ${second}`, () => targetPublishes().slice(pushesBefore + 1).some((publish) => !publish.closed && videoTags(publish) > 30), WAIT);
  t.same(
    targetPublishes().slice(pushesBefore).map((publish) => publish.closed),
    [true, false],
    `the target gets one publisher at a time: ${first}'s push closed, ${second}'s goes on`,
  );
  for (const edge of cluster.edges) {
    const at = await edgeFollows(edge, second, stream.id);
    t.comment(`${edge} served ${second}'s segments ${((at - backAt) / 1000).toFixed(1)} s after the publisher came back`);
  }
  t.pass(`viewers on every edge moved to ${second}`);

  await Promise.all(watches.map((watch) => watch.stop()));
  for (const [index, watch] of watches.entries()) {
    const seen = watch.samples.filter((sample) => sample.at >= watchedFrom);
    t.notOk(seen.some((sample) => sample.endlist), `${cluster.edges[index]}: no ENDLIST while the stream moved`);
    t.same([...new Set(seen.map((sample) => sample.status))], [200], `${cluster.edges[index]}: every playlist request answered 200`);
  }
  t.same(await originLog(first, /playlist.*ENDLIST|stream ends/), [], `${first} did not end the stream`);
  await publisher.stop();
});

t.test('the origin holding a stream is killed: the publisher reconnects to the other one, viewers and the target follow', async (t) => {
  const stream = await streamWithTarget('Survivor show');
  const pushesBefore = targetPublishes().length;
  const publisher = reconnectingPublisher(() => publishThroughHaproxy(cluster, stream.key));
  t.teardown(() => publisher.stop());
  const doomed = await waitFor('the stream on an origin', () => originOf(cluster, stream.id), WAIT);
  const survivor = other(doomed);
  await waitFor('the target to receive the stream', () => targetPublishes().slice(pushesBefore).some((publish) => videoTags(publish) > 30), WAIT);

  const viewers = cluster.edges.slice(0, 2).map(
    (edgeUrl) => new SimulatedViewers({ edgeUrl, stream: stream.id, requestTimeoutMs: 20_000, maxRunMs: 240_000 }),
  );
  t.teardown(() => Promise.all(viewers.map((viewer) => viewer.stop())));
  for (const viewer of viewers) viewer.start(3);
  for (const edge of cluster.edges) await waitFor(`${edge} to serve the stream`, () => newestSegment(edge, stream.id), WAIT);

  const killedAt = Date.now();
  for (const viewer of viewers) viewer.phase = 'killed';
  process.kill(await servicePid(cluster, doomed, 'origin'), 'SIGKILL');

  await waitFor(`HAProxy to mark ${doomed} down`, async () => (await haproxyState(cluster, 'origins', doomed)) === 'DOWN', WAIT);
  await waitFor(`the publisher live again on ${survivor}`, async () => (await originSegments(survivor, stream.id)).size > 0, WAIT);
  const [started] = (await originLog(survivor, /publish started/)).filter((entry) => entry.time >= killedAt);
  t.ok(started, `the reconnecting publisher was accepted by ${survivor} (after ${publisher.attempts} ffmpeg runs)`);
  const reconnectedAt = started?.time ?? Date.now();
  t.comment(`publisher accepted on ${survivor} ${((reconnectedAt - killedAt) / 1000).toFixed(1)} s after the kill`);
  for (const edge of cluster.edges) {
    const at = await edgeFollows(edge, survivor, stream.id);
    t.comment(`${edge}: ${survivor}'s new segments ${((at - reconnectedAt) / 1000).toFixed(1)} s after the reconnect`);
  }
  t.pass('viewers on both edges (and through HAProxy) get the stream from the surviving origin');
  for (const viewer of viewers) viewer.phase = 'back';

  await waitFor(
    'the target to receive the stream again',
    () => targetPublishes().slice(pushesBefore + 1).some((publish) => !publish.closed && videoTags(publish) > 30),
    WAIT,
  );
  t.pass(`the restream target gets the stream again, from ${survivor}`);
  await waitFor(
    `the dead origin to leave the ingest list`,
    async () => {
      const ingests = (await api('GET', '/v1/ingests?protocol=rtmp')).json?.ingests as Array<{ name: string }> | undefined;
      return ingests !== undefined && ingests.length === 1 && ingests[0]!.name === survivor;
    },
    WAIT,
  );
  t.comment(`GET /v1/ingests lists only ${survivor} ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);

  // Viewers go on from the survivor; then stop and look at every request they made.
  await waitFor('viewers to load new segments after the move', () =>
    viewers.every((viewer) => viewer.sent({ phase: 'back', kind: 'segment' }).filter((request) => request.status === 200).length >= 3), WAIT);
  await Promise.all(viewers.map((viewer) => viewer.stop()));
  const requests = viewers.flatMap((viewer) => viewer.requests);
  t.same(requests.filter((request) => request.timedOut).map((request) => request.path), [], 'no viewer request hung');
  t.same(
    requests.filter((request) => request.phase === 'back' && request.status !== 200).map((request) => `${request.status} ${request.path}`),
    [],
    'once the stream is back, every viewer request succeeds',
  );
  t.comment(`${requests.filter((request) => request.phase === 'killed' && request.status !== 200).length} viewer requests failed between the kill and the move (fast 502/504/404 answers)`);
});
