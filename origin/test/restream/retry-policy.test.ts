import t from 'tap';
import { retryDelayMs, shouldGiveUp, type RetryPolicy } from '../../src/restream/retry-policy.js';

const policy: RetryPolicy = { attempts: 3, delayS: 2, maxDelayS: 60, jitter: 0.2 };

t.test('exponential backoff from delayS, capped', async (t) => {
  const middle = () => 0.5;
  t.same([1, 2, 3, 4, 5, 6, 7, 50].map((failures) => retryDelayMs(policy, failures, middle)), [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
});

t.test('jitter spreads each delay by ±jitter', async (t) => {
  t.equal(retryDelayMs(policy, 1, () => 0), 1600);
  t.equal(retryDelayMs(policy, 1, () => 1), 2400);
  t.equal(retryDelayMs({ ...policy, jitter: 0 }, 1, () => 0.9), 2000);
});

t.test('a delay larger than the cap is used as is', async (t) => {
  t.equal(retryDelayMs({ ...policy, delayS: 90, jitter: 0 }, 3), 90_000);
});

t.test('refusals in a row end the push after `attempts`; 0 never gives up', async (t) => {
  t.notOk(shouldGiveUp(policy, 2));
  t.ok(shouldGiveUp(policy, 3));
  t.notOk(shouldGiveUp({ ...policy, attempts: 0 }, 1000));
});
