import t from 'tap';
import { parseQuotaGigabytes, quotaGigabytesText } from '../src/quota-input.js';

t.test('an admin types a recording quota in GB', async (t) => {
  t.equal(parseQuotaGigabytes('50'), 50 * 1024 ** 3);
  t.equal(parseQuotaGigabytes(' 2.5 '), 2.5 * 1024 ** 3);
  t.equal(parseQuotaGigabytes('0'), 0, 'nothing recorded any more');
  t.equal(parseQuotaGigabytes(''), null, 'empty: back to the default');
  for (const bad of ['-1', '1e3', 'ten', '1,5', '.5', '12345678']) t.equal(parseQuotaGigabytes(bad), undefined, `"${bad}" is refused`);
  t.equal(quotaGigabytesText(100 * 1024 ** 3), '100');
  t.equal(quotaGigabytesText(500_000), '0', 'rounded to what the field takes');
  t.equal(quotaGigabytesText(null), '');
  t.equal(parseQuotaGigabytes(quotaGigabytesText(50 * 1024 ** 3)), 50 * 1024 ** 3, 'what is offered reads back the same');
});
