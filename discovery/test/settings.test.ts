import path from 'node:path';
import t from 'tap';
import { SettingError } from '../../service-kit/src/env-settings.js';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { readDiscoverySettings } from '../src/settings.js';
import type { Env } from '../../service-kit/src/env-settings.js';

/** The settings with the one required variable set. */
const read = (env: Env) => readDiscoverySettings({ INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, ...env });

t.test('defaults', async (t) => {
  t.same(read({}), {
    hlsPath: path.resolve('.run/hls'),
    apiUrl: 'http://127.0.0.1:9091',
    internalToken: TEST_INTERNAL_TOKEN,
    originHost: '127.0.0.1:8080',
    manifestName: 'index.m3u8',
    heartbeatMs: 5_000,
    staleTargetDurations: 3,
    routeTtlSeconds: 30,
    apiTimeoutMs: 2_000,
    apiConnections: 16,
    retryInitialMs: 200,
    retryMaxMs: 5_000,
    httpHost: '127.0.0.1',
    httpPort: 8082,
  });
});

t.test('values from the environment', async (t) => {
  const settings = read({
    HLS_PATH: '/var/hls',
    API_URL: 'http://api.internal:9090/',
    ORIGIN_HOST: '[::1]:80',
    MANIFEST_NAME: 'live.m3u8',
    HEARTBEAT_SECONDS: '2.5',
    STALE_TARGET_DURATIONS: '4',
  });
  t.match(settings, {
    hlsPath: '/var/hls',
    apiUrl: 'http://api.internal:9090',
    originHost: '[::1]:80',
    manifestName: 'live.m3u8',
    heartbeatMs: 2_500,
    staleTargetDurations: 4,
  });
});

t.test('the default heartbeat follows a short route TTL', async (t) => {
  t.equal(read({ ROUTE_TTL_SECONDS: '6' }).heartbeatMs, 2_000);
  t.equal(read({ ROUTE_TTL_SECONDS: '300' }).heartbeatMs, 5_000);
});

t.test('bad values name the setting and the value', async (t) => {
  const bad: Record<string, string>[] = [
    { ORIGIN_HOST: '127.0.0.1' },
    { ORIGIN_HOST: 'http://127.0.0.1:8080' },
    { ORIGIN_HOST: 'origin:99999' },
    { MANIFEST_NAME: 'hls/index.m3u8' },
    { HEARTBEAT_SECONDS: '0' },
    { HEARTBEAT_SECONDS: '11' },
    { HEARTBEAT_SECONDS: '5', ROUTE_TTL_SECONDS: '10' },
    { STALE_TARGET_DURATIONS: '0.5' },
    { API_URL: 'redis://127.0.0.1' },
    { API_RETRY_INITIAL_MS: '1000', API_RETRY_MAX_MS: '500' },
    { INTERNAL_TOKEN: 'short' },
    { API_CONNECTIONS: '0' },
  ];
  for (const env of bad) {
    const [name] = Object.entries(env).at(-1)!;
    const error = (() => {
      try {
        read(env);
      } catch (error) {
        return error;
      }
    })();
    const expectedName = name === 'ROUTE_TTL_SECONDS' ? 'HEARTBEAT_SECONDS' : name;
    t.ok(error instanceof SettingError, JSON.stringify(env));
    t.match((error as Error).message, expectedName, `message names ${expectedName}`);
  }
});
