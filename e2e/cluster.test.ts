/**
 * The scaled-out platform as `npm run start:cluster` brings it up (one network namespace per host,
 * HAProxy in front, two APIs, two origins with their discovery, two edges, Redis): publishers
 * through HAProxy land on different origins and play through either edge; an origin that drains
 * (SIGTERM) gets no new publishers while its live one goes on, then leaves the cluster running; a
 * killed API instance leaves the other serving; Ctrl-C removes every namespace. Needs root (ip netns), as CI runs.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { publishFile, testAsset, type Publisher } from '../test-support/ffmpeg.js';
import { newestSegment } from '../test-support/newest-segment.js';
import { TEST_INTERNAL_TOKEN } from '../test-support/internal-token.js';
import { waitFor } from '../test-support/wait-for.js';

/** Not npm start's 10.77.0 and lsc: a cluster someone runs by hand is left alone. */
const NET = '10.78.0';
const NAME = 'lst';
const HAPROXY = `${NET}.2`;
const ORIGINS = { 'origin-1': `${NET}.21`, 'origin-2': `${NET}.22` } as const;
const EDGES = [`http://${NET}.31:8081`, `http://${NET}.32:8081`, `http://${HAPROXY}:8081`];
type OriginName = keyof typeof ORIGINS;

interface Cluster {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function startCluster(runDir: string): Cluster {
  const child = spawn('bash', ['scripts/cluster.sh'], {
    env: {
      ...process.env,
      CLUSTER_NET: NET,
      CLUSTER_NAME: NAME,
      CLUSTER_RUN_DIR: runDir,
      SKIP_DEPS: '1',
      DEMO_STREAM: '0',
      ALLOWED_STREAMS: '*',
      ADMIN_TOKEN: 'adm_cluster-test-admin-token',
      INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
      PLAYBACK_SIGNING_KEY: 'cluster-test-playback-signing-key-0123456789',
    },
    // Its own process group, so that a SIGINT to the group is Ctrl-C in a terminal.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((ns) => ns.startsWith(`${NAME}-`));
}

async function status(url: string): Promise<number> {
  const response = await fetch(url).catch(() => undefined);
  await response?.body?.cancel();
  return response?.status ?? 0;
}

/** The origin that packages `stream` (its own HTTP serves the playlist). */
async function originOf(stream: string): Promise<OriginName | undefined> {
  for (const [name, address] of Object.entries(ORIGINS) as Array<[OriginName, string]>) {
    if ((await status(`http://${address}:8080/${stream}/index.m3u8`)) === 200) return name;
  }
  return undefined;
}

/** The process of `service` (origin, api) on `host` (discovery runs beside an origin, in its namespace). */
async function servicePid(host: string, service: 'origin' | 'api'): Promise<number> {
  const pids = execFileSync('ip', ['netns', 'pids', `${NAME}-${host}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(`dist/${service}/src/server.js`)) return Number(pid);
  }
  throw new Error(`no ${service} process in ${NAME}-${host}`);
}

/** HAProxy's view of a server of a backend: UP or DOWN (its stats page as CSV). */
async function haproxyState(backend: string, server: string): Promise<string | undefined> {
  const csv = await (await fetch(`http://${HAPROXY}:8404/stats;csv`)).text();
  return csv
    .split('\n')
    .find((line) => line.startsWith(`${backend},${server},`))
    ?.split(',')[17];
}

function publish(stream: string): Publisher {
  return publishFile(testAsset('h264-aac.flv'), `rtmp://${HAPROXY}:1935/stream/${stream}`, { loops: -1 });
}

t.test('npm run start:cluster: two origins behind HAProxy, either edge plays, a drain, an API killed, Ctrl-C cleans up', async (t) => {
  t.equal(process.getuid?.(), 0, 'runs as root (ip netns needs it)');
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'livestack-cluster-'));
  t.teardown(() => rm(runDir, { recursive: true, force: true }));
  const cluster = startCluster(runDir);
  const publishers: Publisher[] = [];
  t.teardown(async () => {
    await Promise.all(publishers.map((publisher) => publisher.stop()));
    if (cluster.child.exitCode === null) process.kill(-cluster.child.pid!, 'SIGINT');
    await cluster.exited;
  });

  await waitFor('the cluster banner', () => cluster.output().includes('livestack cluster is up') || cluster.child.exitCode !== null, {
    timeoutMs: 180_000,
    intervalMs: 250,
  });
  if (!t.match(cluster.output(), /livestack cluster is up/, 'it came up')) t.comment(cluster.output().slice(-3000));
  t.same(namespaces().sort(), ['api-1', 'api-2', 'edge-1', 'edge-2', 'lb', 'origin-1', 'origin-2', 'redis'].map((host) => `${NAME}-${host}`), 'one namespace per host');

  // leastconn: the second publisher goes to the origin without one.
  publishers.push(publish('first-one'));
  const firstOrigin = await waitFor('first-one on an origin', () => originOf('first-one'), { timeoutMs: 60_000, intervalMs: 250 });
  publishers.push(publish('second-one'));
  const secondOrigin = await waitFor('second-one on an origin', () => originOf('second-one'), { timeoutMs: 60_000, intervalMs: 250 });
  t.not(secondOrigin, firstOrigin, `the publishers landed on different origins (${firstOrigin}, ${secondOrigin})`);

  for (const stream of ['first-one', 'second-one']) {
    for (const edge of EDGES) {
      const segment = await waitFor(`${stream} through ${edge}`, () => newestSegment(edge, stream), { timeoutMs: 60_000, intervalMs: 250 });
      t.equal(await status(`${edge}/${stream}/${segment}`), 200, `${stream} plays through ${edge} (${segment})`);
    }
  }

  // The first origin drains: HAProxy marks it down, its stream goes on, new publishers go to the other.
  const drained = firstOrigin;
  const other: OriginName = drained === 'origin-1' ? 'origin-2' : 'origin-1';
  const beforeDrain = await newestSegment(EDGES[2]!, 'first-one');
  process.kill(await servicePid(drained, 'origin'), 'SIGTERM');
  await waitFor(`HAProxy to mark ${drained} down`, async () => (await haproxyState('origins', drained)) === 'DOWN', { timeoutMs: 60_000, intervalMs: 250 });
  publishers.push(publish('third-one'));
  t.equal(await waitFor('third-one on an origin', () => originOf('third-one'), { timeoutMs: 60_000, intervalMs: 250 }), other, `a new publisher goes to ${other}`);
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
  process.kill(await servicePid('api-1', 'api'), 'SIGKILL');
  await waitFor('the cluster to report api-1 gone', () => cluster.output().includes('api-1 exited'), { timeoutMs: 60_000, intervalMs: 250 });
  publishers.push(publish('fourth-one'));
  for (const edge of EDGES) {
    const segment = await waitFor(`fourth-one through ${edge}, with api-1 dead`, () => newestSegment(edge, 'fourth-one'), { timeoutMs: 60_000, intervalMs: 250 });
    t.equal(await status(`${edge}/fourth-one/${segment}`), 200, `a new publisher is authorized and plays through ${edge} with one API left`);
  }
  t.equal(await status(`http://${HAPROXY}:9090/health`), 200, 'the public API answers through HAProxy');
  t.equal(cluster.child.exitCode, null, 'the cluster goes on');

  // Ctrl-C: everything stops, nothing is left behind.
  process.kill(-cluster.child.pid!, 'SIGINT');
  t.equal(await cluster.exited, 0, 'Ctrl-C stops the cluster cleanly');
  t.match(cluster.output(), /stopped \(namespaces and bridge removed\)/, 'it says so');
  t.same(namespaces(), [], 'no namespace left');
  t.throws(() => execFileSync('ip', ['link', 'show', `${NAME}0`], { stdio: 'ignore' }), 'no bridge left');
  const logs = await readdir(path.join(runDir, 'logs'));
  const text = (await Promise.all(logs.map((file) => readFile(path.join(runDir, 'logs', file), 'utf8')))).join('\n');
  t.notMatch(text, /adm_cluster-test-admin-token/, 'no secret in any log');
});
