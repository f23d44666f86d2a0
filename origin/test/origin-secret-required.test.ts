import t from 'tap';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { readOriginSettings } from '../src/settings.js';

const base = { INTERNAL_TOKEN: TEST_INTERNAL_TOKEN };

t.test('an origin other hosts can reach requires the edges\' secret: it fails closed', async (t) => {
  for (const host of [undefined, '0.0.0.0', '10.0.0.21', '::']) {
    const env = host === undefined ? base : { ...base, ORIGIN_HTTP_HOST: host };
    t.throws(() => readOriginSettings(env), { code: 'LIVE_ERR_SETTING', message: /^setting ORIGIN_SECRET="" is invalid: expected set when ORIGIN_HTTP_HOST \(.+\) is reachable from other hosts/ }, `ORIGIN_HTTP_HOST=${host ?? '(default 0.0.0.0)'} without ORIGIN_SECRET`);
  }
  const secret = 'an-origin-secret-0123456789abcdef';
  t.same(readOriginSettings({ ...base, ORIGIN_SECRET: secret }).originSecrets, [secret], 'with the secret it starts, serving the edges only');
  for (const host of ['127.0.0.1', '127.0.0.53', '::1', 'localhost']) {
    t.same(readOriginSettings({ ...base, ORIGIN_HTTP_HOST: host }).originSecrets, [], `on loopback (${host}) it may run without one, beside its edge`);
  }
});
