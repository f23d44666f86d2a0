import t from 'tap';
import { readEdgeCacheSettings } from '../src/cache-settings.js';

t.test('defaults', async (t) => {
  t.same(readEdgeCacheSettings({}), {
    maxBytes: 512 * 1024 * 1024,
    maxObjectBytes: 64 * 1024 * 1024,
    notFoundCacheMs: 1_000,
    notFoundCacheEntries: 10_000,
    segmentMaxAgeS: 86_400,
    endedPlaylistMaxAgeS: 10,
  });
});

t.test('reads each variable and names a bad one', async (t) => {
  const settings = readEdgeCacheSettings({
    EDGE_CACHE_MAX_BYTES: '1048576',
    EDGE_CACHE_MAX_OBJECT_BYTES: '4096',
    EDGE_NOT_FOUND_CACHE_MS: '0',
    EDGE_NOT_FOUND_CACHE_ENTRIES: '5',
    EDGE_SEGMENT_MAX_AGE_S: '3600',
    EDGE_ENDED_PLAYLIST_MAX_AGE_S: '5',
  });
  t.same(settings, {
    maxBytes: 1_048_576,
    maxObjectBytes: 4_096,
    notFoundCacheMs: 0,
    notFoundCacheEntries: 5,
    segmentMaxAgeS: 3_600,
    endedPlaylistMaxAgeS: 5,
  });
  t.throws(() => readEdgeCacheSettings({ EDGE_CACHE_MAX_BYTES: '0' }), /EDGE_CACHE_MAX_BYTES="0"/);
  t.throws(() => readEdgeCacheSettings({ EDGE_CACHE_MAX_OBJECT_BYTES: '1.5' }), /EDGE_CACHE_MAX_OBJECT_BYTES/);
});
