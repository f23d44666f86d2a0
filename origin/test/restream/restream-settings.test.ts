import t from 'tap';
import { DEFAULT_RESTREAM_SETTINGS, readRestreamSettings } from '../../src/restream/restream-settings.js';

t.test('defaults: private targets refused when connecting', async (t) => {
  t.same(readRestreamSettings({}), DEFAULT_RESTREAM_SETTINGS);
  t.equal(DEFAULT_RESTREAM_SETTINGS.allowPrivateTargets, false);
});

t.test('the origin reads ALLOW_PRIVATE_TARGETS itself, as the API does', async (t) => {
  t.equal(readRestreamSettings({ ALLOW_PRIVATE_TARGETS: '1' }).allowPrivateTargets, true);
  t.equal(readRestreamSettings({ ALLOW_PRIVATE_TARGETS: 'false' }).allowPrivateTargets, false);
  t.throws(() => readRestreamSettings({ ALLOW_PRIVATE_TARGETS: 'maybe' }), /ALLOW_PRIVATE_TARGETS="maybe"/);
});
