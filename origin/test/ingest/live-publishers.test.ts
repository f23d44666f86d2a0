import t from 'tap';
import { LivePublishers } from '../../src/ingest/live-publishers.js';

t.test('whenEmpty resolves when the last publisher leaves, and at once when none is live', async (t) => {
  const publishers = new LivePublishers<string>();
  t.equal(await publishers.whenEmpty(), undefined, 'none live: at once');
  publishers.add('a');
  publishers.add('b');
  const order: string[] = [];
  const empty = publishers.whenEmpty().then(() => order.push('empty'));
  publishers.delete('a');
  order.push('a left');
  publishers.delete('nobody');
  await new Promise((resolve) => setImmediate(resolve));
  publishers.delete('b');
  order.push('b left');
  await empty;
  t.same(order, ['a left', 'b left', 'empty'], 'only after the last one');
  t.equal(publishers.size, 0);
  t.same([...publishers], []);
});
