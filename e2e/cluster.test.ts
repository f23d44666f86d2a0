/**
 * The scaled-out platform as `npm run start:cluster` brings it up (one network namespace per host,
 * HAProxy in front, two APIs, two origins with their discovery, two edges, Redis): publishers
 * through HAProxy land on different origins and play through either edge; a Prometheus on the host
 * scrapes every API, origin, discovery sidecar and edge with the config the cluster writes; an origin that drains
 * (SIGTERM) gets no new publishers while its live one goes on, then leaves the cluster running; a
 * killed API instance leaves the other serving; Ctrl-C removes every namespace. Needs root (ip netns), as CI runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { withScrapeInterval } from '../prometheus-config/src/scrape-config.js';
import { testAsset, type Publisher } from '../test-support/ffmpeg.js';
import { newestSegment } from '../test-support/newest-segment.js';
import { startPrometheus } from '../test-support/prometheus-server.js';
import { curlTrusting } from '../test-support/tls-front.js';
import { waitFor } from '../test-support/wait-for.js';
import {
  curlFromPublic,
  haproxyState,
  namespaces,
  originOf,
  publishThroughHaproxy,
  servicePid,
  startCluster,
  status,
  CLUSTER_ADMIN_TOKEN,
  CLUSTER_CLIP,
  ORIGIN_REQUEST_HEADERS,
  type OriginName,
} from '../test-support/cluster.js';

/** Not npm start's 10.77.0 and lsc (a cluster someone runs by hand is left alone), nor the other cluster tests'. */
const NET = '10.78.0';
const NAME = 'lst';

t.test('npm run start:cluster: two origins behind HAProxy, either edge plays, a drain, an API killed, Ctrl-C cleans up', async (t) => {
  t.equal(process.getuid?.(), 0, 'runs as root (ip netns needs it)');
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'livestack-cluster-'));
  t.teardown(() => rm(runDir, { recursive: true, force: true }));
  const cluster = startCluster(NET, NAME, runDir);
  const { edges: EDGES } = cluster;
  const publish = (stream: string) => publishThroughHaproxy(cluster, stream);
  const publishers: Publisher[] = [];
  t.teardown(async () => {
    await Promise.all(publishers.map((publisher) => publisher.stop()));
    cluster.interrupt();
    await cluster.exited;
  });

  if (!t.ok(await cluster.up(), 'it came up')) t.comment(cluster.output().slice(-3000));
  t.same(namespaces(NAME).sort(), ['api-1', 'api-2', 'edge-1', 'edge-2', 'lb', 'origin-1', 'origin-2', 'public', 'redis'].map((host) => `${NAME}-${host}`), 'one namespace per host, and the internet');

  // leastconn: the second publisher goes to the origin without one.
  publishers.push(publish('first-one'));
  const firstOrigin = await waitFor('first-one on an origin', () => originOf(cluster, 'first-one'), { timeoutMs: 60_000, intervalMs: 250 });
  publishers.push(publish('second-one'));
  const secondOrigin = await waitFor('second-one on an origin', () => originOf(cluster, 'second-one'), { timeoutMs: 60_000, intervalMs: 250 });
  t.not(secondOrigin, firstOrigin, `the publishers landed on different origins (${firstOrigin}, ${secondOrigin})`);

  for (const stream of ['first-one', 'second-one']) {
    for (const edge of EDGES) {
      const segment = await waitFor(`${stream} through ${edge}`, () => newestSegment(edge, stream), { timeoutMs: 60_000, intervalMs: 250 });
      t.equal(await status(`${edge}/${stream}/${segment}`), 200, `${stream} plays through ${edge} (${segment})`);
    }
  }

  // An operator's Prometheus on the host, with the scrape config the cluster wrote: every API,
  // origin, discovery sidecar and edge is reached from outside its namespace.
  const prometheus = await startPrometheus(withScrapeInterval(await readFile(path.join(runDir, 'prometheus.yml'), 'utf8'), '1s'));
  t.teardown(() => prometheus.stop());
  const scraped = await waitFor(
    'Prometheus scraping every host',
    async () => {
      const targets = await prometheus.targets();
      return targets.length === 8 && targets.every((target) => target.health === 'up') && targets.map((target) => `${target.job} ${target.instance}`).sort();
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(await prometheus.targets())}`);
  });
  t.same(scraped.map((target) => target.split(' ')[0]), ['api', 'api', 'discovery', 'discovery', 'edge', 'edge', 'origin', 'origin'], `every host scraped: ${scraped.join(', ')}`);
  await waitFor('both discovery sidecars reporting their stream, through Prometheus', async () => (await prometheus.query('sum(discovery_live_streams)'))[0]?.value === 2, {
    timeoutMs: 60_000,
    intervalMs: 500,
  });
  t.pass('sum(discovery_live_streams) is 2: one stream on each origin');

  // The first origin drains: HAProxy marks it down, its stream goes on, new publishers go to the other.
  const drained = firstOrigin;
  const other: OriginName = drained === 'origin-1' ? 'origin-2' : 'origin-1';
  const beforeDrain = await newestSegment(EDGES[2]!, 'first-one');
  process.kill(await servicePid(cluster, drained, 'origin'), 'SIGTERM');
  await waitFor(`HAProxy to mark ${drained} down`, async () => (await haproxyState(cluster, 'origins', drained)) === 'DOWN', { timeoutMs: 60_000, intervalMs: 250 });
  publishers.push(publish('third-one'));
  t.equal(await waitFor('third-one on an origin', () => originOf(cluster, 'third-one'), { timeoutMs: 60_000, intervalMs: 250 }), other, `a new publisher goes to ${other}`);
  const afterDrain = await waitFor(
    'a new segment of first-one while its origin drains',
    async () => {
      const newest = await newestSegment(EDGES[2]!, 'first-one');
      return newest !== undefined && newest !== beforeDrain ? newest : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  t.ok(afterDrain, `first-one goes on while ${drained} drains (${beforeDrain} -> ${afterDrain})`);

  await publishers[0]!.stop();
  await waitFor(`${drained} to stop once drained`, () => cluster.output().includes('drained and stopped; the cluster goes on without it'), {
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  t.equal(cluster.child.exitCode, null, 'the cluster goes on without it');
  const third = await waitFor('third-one through the edges', () => newestSegment(EDGES[2]!, 'third-one'), { timeoutMs: 60_000, intervalMs: 250 });
  t.equal(await status(`${EDGES[2]}/third-one/${third}`), 200, 'and keeps serving');

  // One API instance dies: authorizations, discovery reports and route lookups go on through the other.
  process.kill(await servicePid(cluster, 'api-1', 'api'), 'SIGKILL');
  await waitFor('the cluster to report api-1 gone', () => cluster.output().includes('api-1 exited'), { timeoutMs: 60_000, intervalMs: 250 });
  publishers.push(publish('fourth-one'));
  for (const edge of EDGES) {
    const segment = await waitFor(`fourth-one through ${edge}, with api-1 dead`, () => newestSegment(edge, 'fourth-one'), { timeoutMs: 60_000, intervalMs: 250 });
    t.equal(await status(`${edge}/fourth-one/${segment}`), 200, `a new publisher is authorized and plays through ${edge} with one API left`);
  }
  t.equal(await status(`${cluster.apiUrl}/health`), 200, 'the public API answers through HAProxy');
  // Private origins: asked directly without the edges' secret, an origin refuses; the edges play (above).
  const holder = await originOf(cluster, 'fourth-one');
  t.ok(holder, 'an origin holds fourth-one (asked with the secret)');
  t.equal(await status(`http://${cluster.originAddress(holder!)}:8080/fourth-one/index.m3u8`), 403, 'without the secret the origin refuses');

  // TLS at the front: HTTPS through HAProxy with the cluster's self-signed certificate trusted.
  const headers = await curlTrusting(path.join(runDir, 'tls', 'local.pem'), ['-f', '-o', '/dev/null', '-D', '-', `https://${cluster.haproxy}:8443/fourth-one/index.m3u8`]);
  t.match(headers, /^HTTP\/2 200/, 'the stream plays through HAProxy over HTTPS (its certificate names its address)');
  t.match(headers, /^strict-transport-security: max-age=\d+/im, 'with Strict-Transport-Security');

  // From the internet (the public namespace) only HAProxy's public ports answer: a streamer goes
  // live over RTMPS and a viewer plays over HTTPS at its public address; no origin, edge, API
  // instance or Redis is reachable, even with the edges' secret, nor HAProxy's internal frontends.
  const certPem = path.join(runDir, 'tls', 'local.pem');
  const streamer = spawn('ip', ['netns', 'exec', cluster.publicNamespace, 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1',
    '-i', testAsset(CLUSTER_CLIP), '-c', 'copy', '-tls_verify', '1', '-ca_file', certPem, '-f', 'flv', `rtmps://${cluster.haproxyPublic}:1936/stream/fifth-one`], { stdio: 'ignore' });
  const streamerExited = new Promise((resolve) => streamer.once('exit', resolve));
  t.teardown(() => {
    streamer.kill('SIGINT');
    return streamerExited;
  });
  const publicPlaylist = `https://${cluster.haproxyPublic}:8443/fifth-one/index.m3u8`;
  const played = await waitFor('fifth-one, published from the internet, to play there', async () => {
    const answer = await curlFromPublic(cluster, ['--cacert', certPem, publicPlaylist]);
    return answer.status === 200 ? answer : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500 });
  t.equal(played.status, 200, 'from the internet: RTMPS in and HTTPS out at HAProxy\'s public address (the certificate names it)');
  t.equal((await curlFromPublic(cluster, [`http://${cluster.haproxyPublic}:9090/health`])).status, 200, 'and the public API');
  const fifthHolder = await originOf(cluster, 'fifth-one');
  const secret = Object.entries(ORIGIN_REQUEST_HEADERS).map(([name, value]) => ['-H', `${name}: ${value}`]).flat();
  const privateOnes: Array<[string, string[]]> = [
    ['an origin (with the edges\' secret)', [...secret, `http://${cluster.originAddress(fifthHolder!)}:8080/fifth-one/index.m3u8`]],
    ['an edge', [`${cluster.edgeUrl('edge-1')}/fifth-one/index.m3u8`]],
    ['an API instance\'s internal listener', [`http://${NET}.11:9091/health`]],
    ['Redis', [`http://${NET}.10:6379/`]],
    ['HAProxy\'s internal API frontend', [`http://${cluster.haproxyPublic}:9091/health`]],
    ['HAProxy\'s stats page', [`http://${cluster.haproxyPublic}:8404/stats`]],
  ];
  for (const [what, args] of privateOnes) {
    const answer = await curlFromPublic(cluster, args);
    // 7: refused or no route; 28: no answer to the connection attempt. Anything else means it connected.
    t.ok(answer.status === 0 && [7, 28].includes(answer.exitCode), `${what}: not reachable from the internet (curl exit ${answer.exitCode})`);
  }
  t.equal(cluster.child.exitCode, null, 'the cluster goes on');

  // Ctrl-C: everything stops, nothing is left behind.
  cluster.interrupt();
  t.equal(await cluster.exited, 0, 'Ctrl-C stops the cluster cleanly');
  t.match(cluster.output(), /stopped \(namespaces and bridges removed\)/, 'it says so');
  t.same(namespaces(NAME), [], 'no namespace left');
  for (const bridge of [`${NAME}0`, `${NAME}p`]) t.throws(() => execFileSync('ip', ['link', 'show', bridge], { stdio: 'ignore' }), `no bridge ${bridge} left`);
  const logs = await readdir(path.join(runDir, 'logs'));
  const text = (await Promise.all(logs.map((file) => readFile(path.join(runDir, 'logs', file), 'utf8')))).join('\n');
  t.notMatch(text, new RegExp(CLUSTER_ADMIN_TOKEN), 'no secret in any log');
});
