import t from 'tap';
import { readThumbnailSettings } from '../../src/thumbnails/thumbnail-settings.js';

t.test('defaults', async (t) => {
  t.same(readThumbnailSettings({}), { concurrency: 2, queueLimit: 8, timeoutMs: 10_000, keptPerVideo: 100, liveMaxAgeS: 2 });
});

t.test('reads the variables; a bad value names the variable', async (t) => {
  t.same(readThumbnailSettings({ THUMBNAIL_CONCURRENCY: '4', THUMBNAIL_QUEUE_LIMIT: '0', THUMBNAIL_TIMEOUT_MS: '5000', LIVE_THUMBNAIL_MAX_AGE_SECONDS: '5', THUMBNAILS_KEPT_PER_VIDEO: '0' }), {
    concurrency: 4,
    queueLimit: 0,
    timeoutMs: 5_000,
    keptPerVideo: 0,
    liveMaxAgeS: 5,
  });
  t.throws(() => readThumbnailSettings({ THUMBNAIL_CONCURRENCY: '0' }), /THUMBNAIL_CONCURRENCY="0"/);
  t.throws(() => readThumbnailSettings({ THUMBNAIL_TIMEOUT_MS: 'soon' }), /THUMBNAIL_TIMEOUT_MS="soon"/);
  t.throws(() => readThumbnailSettings({ LIVE_THUMBNAIL_MAX_AGE_SECONDS: '0' }), /LIVE_THUMBNAIL_MAX_AGE_SECONDS="0"/);
});
