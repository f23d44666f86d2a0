import t from 'tap';
import { readEdgeSettings } from '../src/settings.js';

t.test('defaults', async (t) => {
  t.same(readEdgeSettings({}), {
    port: 8081,
    host: '0.0.0.0',
    apiUrl: 'http://127.0.0.1:9090',
    apiTimeoutMs: 2_000,
    apiConnections: 16,
    routeCacheMs: 1_000,
    routeNotLiveCacheMs: 200,
    routeStaleMs: 900_000,
    routeCacheMaxEntries: 100_000,
    originFailoverMs: 10_000,
    routeApiRecoveryMs: 30_000,
    upstreamTimeoutMs: 10_000,
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
  t.equal(readEdgeSettings({ PLAYBACK_SIGNING_KEY: key }).playbackSigningKey, key);
  t.throws(() => readEdgeSettings({ PLAYBACK_SIGNING_KEY: 'short-secret' }), { message: /PLAYBACK_SIGNING_KEY="<hidden>"/ });
});

t.test('reads the environment', async (t) => {
  const settings = readEdgeSettings({
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
  t.throws(() => readEdgeSettings({ ROUTE_CACHE_MS: '-1' }), {
    code: 'LIVE_ERR_SETTING',
    message: /ROUTE_CACHE_MS="-1"/,
  });
  t.throws(() => readEdgeSettings({ API_URL: 'redis://x' }), { message: /API_URL="redis:\/\/x"/ });
  t.throws(() => readEdgeSettings({ UPSTREAM_TIMEOUT_MS: '1.5' }), { message: /UPSTREAM_TIMEOUT_MS/ });
  t.throws(() => readEdgeSettings({ EDGE_PORT: '70000' }), { message: /EDGE_PORT/ });
});
