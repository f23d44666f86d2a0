import t from 'tap';
import type { Env } from '../../service-kit/src/env-settings.js';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { readEdgeSettings } from '../src/settings.js';

/** The settings with the one required variable set. */
const read = (env: Env) => readEdgeSettings({ INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, ...env });

t.test('defaults', async (t) => {
  t.same(read({}), {
    port: 8081,
    host: '0.0.0.0',
    apiUrl: 'http://127.0.0.1:9091',
    internalToken: TEST_INTERNAL_TOKEN,
    apiTimeoutMs: 2_000,
    apiConnections: 16,
    routeCacheMs: 1_000,
    routeNotLiveCacheMs: 200,
    routeStaleMs: 900_000,
    routeCacheMaxEntries: 100_000,
    originFailoverMs: 10_000,
    routeApiRecoveryMs: 30_000,
    upstreamTimeoutMs: 10_000,
    upstreamBlockingTimeoutMs: 30_000,
    upstreamConnectTimeoutMs: 2_000,
    upstreamConnections: 128,
    upstreamKeepAliveMs: 30_000,
    shutdownTimeoutMs: 10_000,
    playbackSigningKey: undefined,
    viewerReportIntervalMs: 1_000,
    viewsCacheMs: 1_000,
  });
});

t.test('the playback signing key is checked, and its value never quoted', async (t) => {
  const key = 'k'.repeat(32);
  t.equal(read({ PLAYBACK_SIGNING_KEY: key }).playbackSigningKey, key);
  t.throws(() => read({ PLAYBACK_SIGNING_KEY: 'short-secret' }), { message: /PLAYBACK_SIGNING_KEY="<hidden>"/ });
});

t.test('reads the environment', async (t) => {
  const settings = read({
    EDGE_PORT: '9000',
    API_URL: 'http://api:9090/',
    ROUTE_CACHE_MS: '0',
    ROUTE_STALE_MS: '60000',
    UPSTREAM_CONNECTIONS: '8',
  });
  t.equal(settings.port, 9000);
  t.equal(settings.apiUrl, 'http://api:9090');
  t.equal(settings.routeCacheMs, 0);
  t.equal(settings.routeStaleMs, 60_000);
  t.equal(settings.upstreamConnections, 8);
});

t.test('a bad value names the variable and the value', async (t) => {
  t.throws(() => read({ ROUTE_CACHE_MS: '-1' }), {
    code: 'LIVE_ERR_SETTING',
    message: /ROUTE_CACHE_MS="-1"/,
  });
  t.throws(() => read({ API_URL: 'redis://x' }), { message: /API_URL="redis:\/\/x"/ });
  t.throws(() => read({ UPSTREAM_TIMEOUT_MS: '1.5' }), { message: /UPSTREAM_TIMEOUT_MS/ });
  t.throws(() => read({ EDGE_PORT: '70000' }), { message: /EDGE_PORT/ });
});

t.test('INTERNAL_TOKEN is required, and never quoted', async (t) => {
  t.throws(() => readEdgeSettings({}), { message: /^setting INTERNAL_TOKEN="" is invalid/ });
  const error = t.throws(() => read({ INTERNAL_TOKEN: 'too-short-but-secret' })) as Error;
  t.match(error.message, /INTERNAL_TOKEN="\[redacted\]"/);
  t.notMatch(error.message, 'too-short-but-secret');
});
