import { resolve } from 'node:path';
import t from 'tap';
import { readFallbackSettings } from '../../src/fallback/fallback-settings.js';

t.test('defaults', async (t) => {
  t.same(readFallbackSettings({}), {
    cachePath: resolve('.run/fallback-cache'),
    maxFileBytes: 256 * 1024 * 1024,
    downloadTimeoutMs: 60_000,
  });
});

t.test('values from the environment; a bad one names the variable', async (t) => {
  t.match(readFallbackSettings({ FALLBACK_CACHE_PATH: '/var/cache/fb', FALLBACK_CACHE_MAX_FILE_BYTES: '1048576', FALLBACK_DOWNLOAD_TIMEOUT_MS: '5000' }), {
    cachePath: '/var/cache/fb',
    maxFileBytes: 1048576,
    downloadTimeoutMs: 5000,
  });
  t.throws(() => readFallbackSettings({ FALLBACK_CACHE_MAX_FILE_BYTES: 'lots' }), { code: 'LIVE_ERR_SETTING', message: /FALLBACK_CACHE_MAX_FILE_BYTES="lots"/ });
  t.throws(() => readFallbackSettings({ FALLBACK_DOWNLOAD_TIMEOUT_MS: '5' }), { message: /FALLBACK_DOWNLOAD_TIMEOUT_MS/ });
});
