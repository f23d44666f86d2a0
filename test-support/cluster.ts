/**
 * `npm run start:cluster` as the cluster tests and the failover benchmark run it: scripts/cluster.sh
 * on a network and with namespace names of their own (a cluster someone runs by hand is left
 * alone), and what they ask of it: which origin holds a stream, a service's process, HAProxy's
 * view of a server. Needs root (ip netns), as CI runs.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ORIGIN_SECRET_HEADER } from '../service-kit/src/origin-secret.js';
import { publishFile, testAsset, type Publisher } from './ffmpeg.js';
import { TEST_INTERNAL_TOKEN } from './internal-token.js';
import { repoRoot } from './repo-root.js';
import { waitFor } from './wait-for.js';

export const CLUSTER_ADMIN_TOKEN = 'adm_cluster-test-admin-token';

export type OriginName = 'origin-1' | 'origin-2';
export const ORIGIN_NAMES: readonly OriginName[] = ['origin-1', 'origin-2'];
export type EdgeName = 'edge-1' | 'edge-2';
export const EDGE_NAMES: readonly EdgeName[] = ['edge-1', 'edge-2'];

/** The edges' secret the cluster's origins require (ORIGIN_SECRET); a test asking an origin directly sends it as an edge does. */
export const CLUSTER_ORIGIN_SECRET = 'cluster-test-origin-secret-0123456789';
export const ORIGIN_REQUEST_HEADERS: Readonly<Record<string, string>> = { [ORIGIN_SECRET_HEADER]: CLUSTER_ORIGIN_SECRET };

/** The clip a publisher through HAProxy loops (in test-assets/). */
export const CLUSTER_CLIP = 'h264-aac.flv';

export interface Cluster {
  /** The hosts' private /24, e.g. 10.78.0 (the host itself is .1, on the bridge, as the operators' side). */
  net: string;
  name: string;
  haproxy: string;
  /** HAProxy's address on the public network, the only one the internet (namespace `<name>-public`) reaches. */
  haproxyPublic: string;
  /** The namespace standing for the internet. */
  publicNamespace: string;
  /** RTMP through HAProxy. */
  rtmpUrl: string;
  /** The public API through HAProxy. */
  apiUrl: string;
  /** Each edge, then HAProxy's edge frontend. */
  edges: string[];
  /** One edge, asked directly. */
  edgeUrl(edge: EdgeName): string;
  originAddress(origin: OriginName): string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Waits for the banner; false when the cluster stopped first. */
  up(): Promise<boolean>;
  /** Ctrl-C, as in a terminal: SIGINT to the cluster's process group. */
  interrupt(): void;
}

export function startCluster(net: string, name: string, runDir: string, env: Record<string, string> = {}): Cluster {
  const child = spawn('bash', [path.join(repoRoot, 'scripts', 'cluster.sh')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      CLUSTER_NET: net,
      CLUSTER_NAME: name,
      CLUSTER_RUN_DIR: runDir,
      SKIP_DEPS: '1',
      DEMO_STREAM: '0',
      ALLOWED_STREAMS: '*',
      ADMIN_TOKEN: CLUSTER_ADMIN_TOKEN,
      INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
      PLAYBACK_SIGNING_KEY: 'cluster-test-playback-signing-key-0123456789',
      ORIGIN_SECRET: CLUSTER_ORIGIN_SECRET,
      ...env,
    },
    // Its own process group, so that a SIGINT to the group is Ctrl-C in a terminal.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const haproxy = `${net}.2`;
  // cluster.sh's default public network: the private one's third number plus 100.
  const [a, b, c] = net.split('.');
  const haproxyPublic = `${a}.${b}.${Number(c) + 100}.2`;
  const edgeUrl = (edge: EdgeName) => `http://${net}.${edge === 'edge-1' ? 31 : 32}:8081`;
  return {
    net,
    name,
    haproxy,
    haproxyPublic,
    publicNamespace: `${name}-public`,
    rtmpUrl: `rtmp://${haproxy}:1935/stream`,
    apiUrl: `http://${haproxy}:9090`,
    edges: [...EDGE_NAMES.map(edgeUrl), `http://${haproxy}:8081`],
    edgeUrl,
    originAddress: (origin) => `${net}.${origin === 'origin-1' ? 21 : 22}`,
    child,
    output: () => output,
    exited,
    up: async () => {
      await waitFor('the cluster banner', () => output.includes('livestack cluster is up') || child.exitCode !== null, {
        timeoutMs: 180_000,
        intervalMs: 250,
      });
      return output.includes('livestack cluster is up');
    },
    interrupt: () => {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
    },
  };
}

/** The namespaces of cluster `name` that exist. */
export function namespaces(name: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((ns) => ns.startsWith(`${name}-`));
}

/** The status of a GET; 0 when there was no answer within `timeoutMs`. */
export async function status(url: string, { timeoutMs = 10_000, headers = {} }: { timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers }).catch(() => undefined);
  await response?.body?.cancel();
  return response?.status ?? 0;
}

/**
 * What curl gets from the internet's side (the cluster's public namespace): its exit code (0, or
 * 7 refused / 28 timed out, …) and the HTTP status it read (0 when none).
 */
export function curlFromPublic(cluster: Cluster, args: string[]): Promise<{ exitCode: number; status: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', cluster.publicNamespace, 'curl', '-sS', '--connect-timeout', '5', '--max-time', '20', '-o', '/dev/null', '-D', '-', '-w', '%{http_code}', ...args],
      { encoding: 'latin1' },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ exitCode, status: Number(stdout.slice(-3)) || 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** The origin that packages `stream` (its own HTTP serves the playlist). */
export async function originOf(cluster: Cluster, stream: string): Promise<OriginName | undefined> {
  for (const origin of ORIGIN_NAMES) {
    if ((await status(`http://${cluster.originAddress(origin)}:8080/${stream}/index.m3u8`, { headers: { ...ORIGIN_REQUEST_HEADERS } })) === 200) return origin;
  }
  return undefined;
}

/** The process of `service` on `host` (discovery runs beside an origin, in its namespace). */
export async function servicePid(cluster: Cluster, host: string, service: 'origin' | 'discovery' | 'api' | 'edge'): Promise<number> {
  const pids = execFileSync('ip', ['netns', 'pids', `${cluster.name}-${host}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(`dist/${service}/src/server.js`)) return Number(pid);
  }
  throw new Error(`no ${service} process in ${cluster.name}-${host}`);
}

/** HAProxy's view of a server of a backend: UP or DOWN (its stats page as CSV); throws when it does not answer within `timeoutMs`. */
export async function haproxyState(cluster: Cluster, backend: string, server: string, { timeoutMs = 10_000 } = {}): Promise<string | undefined> {
  const response = await fetch(`http://${cluster.haproxy}:8404/stats;csv`, { signal: AbortSignal.timeout(timeoutMs) });
  const csv = await response.text();
  return csv
    .split('\n')
    .find((line) => line.startsWith(`${backend},${server},`))
    ?.split(',')[17];
}

/** A looping test clip published through HAProxy (`key`: an open name or a stream key). */
export function publishThroughHaproxy(cluster: Cluster, key: string): Publisher {
  return publishFile(testAsset(CLUSTER_CLIP), `${cluster.rtmpUrl}/${key}`, { loops: -1 });
}
