/**
 * The settings that decide the failover figures, as the cluster runs them: each service's own
 * settings reader over the environment of its running process (so an override given to the
 * cluster shows), and HAProxy's health check of the origins from its configuration file.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readApiSettings } from '../api/src/settings.js';
import { readDiscoverySettings } from '../discovery/src/settings.js';
import { readEdgeSettings } from '../edge/src/settings.js';
import { readOriginSettings } from '../origin/src/settings.js';
import { servicePid, type Cluster } from '../test-support/cluster.js';
import { repoRoot } from '../test-support/repo-root.js';
import { readProcessEnv } from './process-launch.js';

type Service = Parameters<typeof servicePid>[2];

/** One line per service: `label  NAME value, ...`, or why it could not be read. */
async function serviceLine(cluster: Cluster, host: string, service: Service, describe: (env: Record<string, string>) => string): Promise<string> {
  const label = service.padEnd(10);
  try {
    return `  ${label} ${describe(await readProcessEnv(await servicePid(cluster, host, service)))}`;
  } catch (error) {
    return `  ${label} not read: ${(error as Error).message}`;
  }
}

/** The `default-server` line of HAProxy's `backend origins`: how fast a dead origin is marked down. */
async function haproxyOriginCheck(): Promise<string> {
  const config = await readFile(path.join(repoRoot, 'deploy', 'haproxy', 'haproxy.cfg'), 'utf8');
  const backend = config.slice(config.indexOf('backend origins'));
  const line = backend.split('\n').find((text) => text.trim().startsWith('default-server'));
  return line === undefined ? 'not found in deploy/haproxy/haproxy.cfg' : `backend origins: ${line.trim()} (deploy/haproxy/haproxy.cfg)`;
}

export async function describeFailoverSettings(cluster: Cluster): Promise<string> {
  const lines = await Promise.all([
    serviceLine(cluster, 'api-1', 'api', (env) => {
      const s = readApiSettings(env);
      return `PUBLISH_LEASE_SECONDS ${s.publishLeaseSeconds}, INGEST_TTL_SECONDS ${s.ingestTtlSeconds}, ROUTE_TTL_SECONDS ${s.routeTtlSeconds}`;
    }),
    serviceLine(cluster, 'origin-1', 'origin', (env) => {
      const s = readOriginSettings(env);
      return `HLS_SEGMENT_SECONDS ${s.segments.targetDurationSeconds}, INGEST_HEARTBEAT_MS ${s.heartbeatMs}`;
    }),
    serviceLine(cluster, 'origin-1', 'discovery', (env) => {
      const s = readDiscoverySettings(env);
      return `HEARTBEAT_SECONDS ${s.heartbeatMs / 1000}, STALE_TARGET_DURATIONS ${s.staleTargetDurations}`;
    }),
    serviceLine(cluster, 'edge-1', 'edge', (env) => {
      const s = readEdgeSettings(env);
      return `ROUTE_CACHE_MS ${s.routeCacheMs}, ORIGIN_FAILOVER_MS ${s.originFailoverMs}`;
    }),
  ]);
  lines.push(`  ${'HAProxy'.padEnd(10)} ${await haproxyOriginCheck()}`);
  return ['settings as the cluster runs them (each service\'s settings reader over its process\'s environment):', ...lines].join('\n');
}
