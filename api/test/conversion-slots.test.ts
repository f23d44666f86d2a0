import t from 'tap';
import { ConversionSlots } from '../src/fallback/conversion-slots.js';

t.test('FALLBACK_MAX_CONVERSIONS slots, handed to waiting uploads in the order they asked', async (t) => {
  const slots = new ConversionSlots(2);
  const order: string[] = [];
  const take = (name: string) => slots.acquire().then((release) => (order.push(name), release));
  const [a, b] = await Promise.all([take('a'), take('b')]);
  const waiting = [take('c'), take('d')];
  await Promise.resolve();
  t.same(slots.usage, { running: 2, waiting: 2 });
  t.same(order, ['a', 'b'], 'c and d wait');

  b();
  b();
  const c = await waiting[0]!;
  t.same(order, ['a', 'b', 'c'], "b's slot goes to the first in line, once however often b releases it");
  t.same(slots.usage, { running: 2, waiting: 1 });
  a();
  const d = await waiting[1]!;
  t.same(order, ['a', 'b', 'c', 'd']);
  c();
  d();
  t.same(slots.usage, { running: 0, waiting: 0 });
});
